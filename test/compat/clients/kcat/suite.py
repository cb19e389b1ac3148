"""kcat (librdkafka's command-line client) suite of test/compat/run.sh.

Each cell drives the kcat binary as a user would, with the Python standard
library only. kcat has no admin API, no share consumer and (with Debian's
librdkafka) no KIP-848 consumer protocol; those cells are n/a.
"""
import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from cells import NA, Fail, check, wait_until  # noqa: E402

CELL_BUDGET = 60.0  # seconds for one kcat invocation


class KcatError(Exception):
    """kcat exited with an error; wait_until retries it."""


class Kcat:
    def __init__(self, args):
        self.boot = args.bootstrap
        self.target = args.target
        self.expect = sorted(args.expect_brokers.split(","))
        self.base = ["kcat", "-b", self.boot, "-X", "client.id=strait-compat-kcat"]

    def run(self, args, stdin=None, timeout=CELL_BUDGET, broker=None):
        base = self.base if broker is None else ["kcat", "-b", broker] + self.base[3:]
        p = subprocess.run(base + args, input=stdin, capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            raise KcatError(f"kcat {' '.join(args)} exited {p.returncode}: {p.stderr.strip()[-400:]}")
        return p

    def topic(self, op):
        return f"kcat-{op}-{self.target}-{secrets.token_hex(3)}"

    def metadata(self, topic=None, broker=None):
        args = ["-L", "-J"] + (["-t", topic] if topic else [])
        return json.loads(self.run(args, timeout=20, broker=broker).stdout)

    def create_topic(self, topic, partitions=3):
        """Creates topic by broker auto-creation (kcat has no admin API; the
        test clusters create topics with 3 partitions and 3 replicas) and
        waits until every broker lists its partitions with leaders: brokers
        learn of a new topic a moment apart, and a producer that asks one
        that has not yet fails its records."""
        self.run(["-P", "-t", topic, "-X", "allow.auto.create.topics=true", "-p", "0"], stdin="", timeout=30)

        def ready(broker):
            md = self.metadata(topic, broker)
            ts = [t for t in md.get("topics", []) if t["topic"] == topic]
            if not ts or ts[0].get("error") or len(ts[0]["partitions"]) != partitions:
                return None
            if any(p["leader"] < 0 for p in ts[0]["partitions"]):
                return None
            return ts[0]
        for b in self.expect:
            t = wait_until(f"broker {b} to list topic {topic} with {partitions} partitions and leaders",
                           lambda: ready(b))
        return t

    def produce(self, topic, records, extra=()):
        """Produces key:value lines; extra are more kcat arguments."""
        data = "".join(f"{k}:{v}\n" for k, v in records)
        self.run(["-P", "-t", topic, "-K", ":", "-X", "acks=all", "-X", "message.timeout.ms=30000", *extra], stdin=data)

    def consume(self, topic, want, extra=()):
        """Reads topic from the beginning to its end: a list of
        (partition, offset, key, value, headers)."""
        def read():
            out = self.run(["-C", "-t", topic, "-o", "beginning", "-e", "-u",
                            "-f", "%p\t%o\t%k\t%s\t%h\n", *extra]).stdout
            recs = []
            for line in out.splitlines():
                p, o, k, v, h = line.split("\t")
                recs.append((int(p), int(o), k, v, h))
            return recs if len(recs) >= want else None
        return wait_until(f"{want} records in {topic}", read)


def records(prefix, n):
    return [(f"{prefix}-k{i}", f"{prefix}-v{i}") for i in range(n)]


def check_records(sent, got):
    """Every record exactly once, each partition in produce order."""
    check(len(got) == len(sent), f"consumed {len(got)} records, produced {len(sent)}")
    check(sorted((k, v) for _, _, k, v, _ in got) == sorted(sent), "consumed records differ from the produced ones")
    order = {kv: i for i, kv in enumerate(sent)}
    by_part = {}
    for p, o, k, v, _ in sorted(got, key=lambda r: (r[0], r[1])):
        by_part.setdefault(p, []).append(order[(k, v)])
    for p, idx in by_part.items():
        check(idx == sorted(idx), f"partition {p} out of produce order")
    return by_part


# ops


def op_metadata(kc):
    md = kc.metadata()
    brokers = sorted(b["name"] for b in md["brokers"])
    check(brokers == kc.expect, f"kcat -L brokers {brokers}, want {kc.expect}")
    t = kc.create_topic(kc.topic("metadata"))
    ids = {b["id"] for b in md["brokers"]}
    leaders = sorted(p["leader"] for p in t["partitions"])
    check(all(l in ids for l in leaders), f"partition leaders {leaders} not among brokers {sorted(ids)}")
    return f"kcat -L: brokers {', '.join(brokers)}; a new topic's 3 partitions led by brokers {leaders}"


def op_produce(codec):
    def op(kc):
        topic = kc.topic(f"produce-{codec}")
        kc.create_topic(topic)
        sent = records(codec, 60)
        kc.produce(topic, sent, ["-z", codec])
        parts = check_records(sent, kc.consume(topic, len(sent)))
        return f"-z {codec}: 60 keyed records over {len(parts)} partitions consumed exactly once, in order per partition"
    return op


def op_headers(kc):
    topic = kc.topic("headers")
    kc.create_topic(topic)
    sent = records("h", 10)
    kc.produce(topic, sent, ["-H", "trace=abc-123", "-H", "empty=", "-H", "utf8=gr\u00fc\u00dfe"])
    got = kc.consume(topic, len(sent))
    check_records(sent, got)
    hs = {h for *_, h in got}
    want = "trace=abc-123,empty=,utf8=gr\u00fc\u00dfe"
    check(hs == {want}, f"headers read back {sorted(hs)}, want {want!r}")
    return "3 headers (one empty, one UTF-8) on 10 records read back intact"


class Member:
    """A kcat balanced consumer (-G) running in the background."""

    ASSIGNED = re.compile(r"rebalanced.*: assigned: (.*)$")

    def __init__(self, kc, group, topic, extra=()):
        self.records = []
        self.assignments = []  # partition lists, latest last
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            # auto.offset.reset rather than -o, which would override the
            # committed offsets on every assignment.
            kc.base + ["-G", group, "-X", "auto.offset.reset=earliest", "-u", "-f", "%p\t%o\t%k\t%s\n",
                       "-X", "session.timeout.ms=10000", "-X", "heartbeat.interval.ms=1000",
                       "-X", "auto.commit.interval.ms=500", *extra, topic],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err = []
        threading.Thread(target=self._out, daemon=True).start()
        threading.Thread(target=self._err, daemon=True).start()

    def _out(self):
        for line in self.proc.stdout:
            p, o, k, v = line.rstrip("\n").split("\t")
            with self.lock:
                self.records.append((int(p), int(o), k, v, ""))

    def _err(self):
        for line in self.proc.stderr:
            with self.lock:
                self.err.append(line.rstrip())
                m = self.ASSIGNED.search(line)
                if m:
                    self.assignments.append(sorted(int(x) for x in re.findall(r"\[(\d+)\]", m.group(1))))
                elif "rebalanced" in line and "revoked" in line:
                    self.assignments.append([])

    def assigned(self):
        with self.lock:
            return self.assignments[-1] if self.assignments else None

    def got(self):
        with self.lock:
            return list(self.records)

    def stop(self):
        """Stops the member as a user would (SIGTERM): it commits and leaves."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self):
        with self.lock:
            return " | ".join(self.err[-5:])


def op_group_classic(kc):
    topic = kc.topic("group")
    group = f"{topic}-g"
    kc.create_topic(topic)
    first = records("g1", 30)
    kc.produce(topic, first)
    a = Member(kc, group, topic)
    b = None
    try:
        wait_until("the first member's assignment", lambda: a.assigned() == [0, 1, 2])
        b = Member(kc, group, topic)
        split = wait_until("two members splitting 3 partitions", lambda: (
            a.assigned() and b.assigned() and sorted(a.assigned() + b.assigned()) == [0, 1, 2]
            and (a.assigned(), b.assigned())))
        wait_until("the 30 records read by the group", lambda: len({r[2] for r in a.got() + b.got()}) >= 30)
        b.stop()
        wait_until("the remaining member owning all 3 partitions after the other left", lambda: a.assigned() == [0, 1, 2])
        second = records("g2", 15)
        kc.produce(topic, second)
        wait_until("the remaining member reading 15 new records",
                   lambda: {k for k, _ in second} <= {r[2] for r in a.got()})
        time.sleep(1.5)  # two auto-commit intervals
    finally:
        a.stop()
        if b:
            b.stop()
    third = records("g3", 5)
    kc.produce(topic, third)
    c = Member(kc, group, topic)
    try:
        wait_until("a new member resuming from the committed offsets", lambda: len(c.got()) >= 5)
        time.sleep(1)
        keys = sorted(r[2] for r in c.got())
        check(keys == sorted(k for k, _ in third),
              f"the new member read {len(keys)} records ({keys[:3]}...), want only the 5 produced after the others left")
    finally:
        c.stop()
    return (f"2 members split 3 partitions {split[0]}/{split[1]}; after one left the other owned all 3 and read "
            f"15 new records; a new member resumed from the committed offsets with only the 5 later records")


def op_group_consumer(kc):
    raise NA("kcat links Debian's librdkafka 2.0.2, which has no KIP-848 consumer protocol")


def op_idempotent(kc):
    topic = kc.topic("idempotent")
    kc.create_topic(topic)
    sent = records("idem", 200)
    kc.produce(topic, sent, ["-X", "enable.idempotence=true"])
    check_records(sent, kc.consume(topic, len(sent)))
    return "enable.idempotence=true: 200 records consumed exactly once, in order per partition"


def op_transactions(kc):
    topic = kc.topic("txn")
    kc.create_topic(topic)
    sent = records("txn", 20)
    kc.produce(topic, sent, ["-X", f"transactional.id={topic}-tx"])
    got = kc.consume(topic, len(sent), ["-X", "isolation.level=read_committed"])
    check_records(sent, got)
    return ("transactional.id set: kcat produced 20 records in a transaction and committed it; a read_committed "
            "consumer read all 20 (kcat cannot abort a transaction)")


def na(why):
    def op(kc):
        raise NA(why)
    return op


OPS = {
    "metadata": op_metadata,
    **{f"produce-{c}": op_produce(c) for c in ("none", "gzip", "snappy", "lz4", "zstd")},
    "headers": op_headers,
    "group-classic": op_group_classic,
    "group-consumer": op_group_consumer,
    "idempotent": op_idempotent,
    "transactions": op_transactions,
    **{op: na("kcat has no admin API") for op in
       ("admin-topics", "admin-configs", "admin-groups", "admin-offsets", "admin-partitions")},
    "share-group": na("kcat has no share consumer"),
}


def version():
    out = subprocess.run(["kcat", "-V"], capture_output=True, text=True).stdout
    m = re.search(r"Version (\S+) .*librdkafka (\S+)", out)
    return f"{m.group(1)} (librdkafka {m.group(2)})" if m else "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--target", required=True, choices=["direct", "gateway", "namespace"])
    ap.add_argument("--kafka-version", required=True)
    ap.add_argument("--expect-brokers", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ops", help="comma-separated ops to run (default: all)")
    args = ap.parse_args()
    kc = Kcat(args)
    ver = version()
    for op, fn in OPS.items():
        if args.ops and op not in args.ops.split(","):
            continue
        start = time.monotonic()
        try:
            status, detail = "pass", fn(kc)
        except NA as e:
            status, detail = "n/a", str(e)
        except Exception as e:  # noqa: BLE001 - a cell reports whatever went wrong
            status, detail = "fail", str(e) if isinstance(e, (Fail, KcatError)) else f"{type(e).__name__}: {e}"
        if status != "n/a":
            detail += f" [{time.monotonic() - start:.1f}s]"
        line = json.dumps({"suite": "kcat", "client": "kcat", "client_version": ver,
                           "op": op, "status": status, "detail": detail})
        with open(args.out, "a") as f:
            f.write(line + "\n")
        print(f"kcat {op:18} {status:4} {detail}", flush=True)


if __name__ == "__main__":
    main()
