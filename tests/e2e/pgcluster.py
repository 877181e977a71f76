"""A throwaway PostgreSQL cluster from Debian's binaries, on a Unix socket in a temp dir."""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile

from conftest import free_port


def binaries():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (scripts/setup-test-env installs Debian's postgresql)")
    return os.path.dirname(found[-1])


class Cluster:
    def __init__(self):
        self.bin = binaries()
        self.dir = tempfile.mkdtemp(prefix="livehub-pg-")
        self.port = free_port()
        # PostgreSQL refuses to run as root: as root (CI), the cluster belongs to `postgres`.
        self.user = "postgres" if os.getuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres")
        self.run("initdb", "-D", f"{self.dir}/data", "-A", "trust", "-U", "postgres", "--no-sync")
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-w", "-l", f"{self.dir}/log",
                 "-o", f"-k {self.dir} -p {self.port} -c listen_addresses='' -c fsync=on", "start")

    def run(self, tool, *args):
        command = [f"{self.bin}/{tool}", *args]
        if os.getuid() == 0:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True)

    def url(self, database):
        return f"postgresql://postgres@/{database}?host={self.dir}&port={self.port}"

    def create(self, database):
        self.psql("postgres", f"CREATE DATABASE {database}")
        return self.url(database)

    def psql(self, database, sql):
        out = subprocess.run(["psql", "-X", "-A", "-t", "-q", self.url(database), "-c", sql], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def stop(self, mode="fast"):
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-m", mode, "-w", "stop")

    def start(self):
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-w", "-l", f"{self.dir}/log",
                 "-o", f"-k {self.dir} -p {self.port} -c listen_addresses=''", "start")

    def destroy(self):
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
