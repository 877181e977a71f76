"""Attack: 400 webhook POSTs of 1 MiB with bad signatures from one address, snapshots every 2 s.
usage: webhook_junk.py LIVEHUB_BINARY — prints the answers, the RSS and the data dir size after."""
import http.client, os, subprocess, sys, tempfile, time, socket, shutil
binary = sys.argv[1]
data = tempfile.mkdtemp()
port = 28000 + os.getpid() % 1000
hub = subprocess.Popen([binary, "serve", "--port", str(port), "--loops", "1", "--data-dir", data, "--secret", "b",
                        "--paystack-secret", "ps", "--snapshot-interval", "2s", "--max-body-size", "2MiB"], stdout=subprocess.DEVNULL)
time.sleep(1)
body = b'{"event":"charge.success","data":{"reference":"r","junk":"' + b"x" * (1 << 20) + b'"}}'
statuses = {}
for i in range(400):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/api/webhooks/paystack", body=body, headers={"x-paystack-signature": "00"})
    r = c.getresponse(); r.read(); statuses[r.status] = statuses.get(r.status, 0) + 1
    c.close()
time.sleep(3)
rss = int(next(l for l in open(f"/proc/{hub.pid}/status") if l.startswith("VmRSS:")).split()[1]) // 1024
size = sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data)) // (1 << 20)
print(f"answers={statuses} rss_mb={rss} data_dir_mb={size}")
hub.terminate(); hub.wait(); shutil.rmtree(data)
