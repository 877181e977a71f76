"""The hub the benchmarks run: $LIVEHUB_BIN, or else a release build made now (and
LIVEHUB_BIN set to it, for scripts/cluster and the tools it starts)."""
import os
import subprocess

ROOT = os.path.join(os.path.dirname(__file__), "..")


def release_binary():
    if "LIVEHUB_BIN" not in os.environ:
        subprocess.run(["swift", "build", "-c", "release", "--product", "livehub"], cwd=ROOT, check=True, capture_output=True)
        os.environ["LIVEHUB_BIN"] = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                                                   capture_output=True, text=True).stdout.strip() + "/livehub"
    return os.environ["LIVEHUB_BIN"]
