#!/usr/bin/env python3
"""Compatibility suite for the Python Kafka clients confluent-kafka and kafka-python.

Called through ./run as described in test/compat/run.sh. The parent process
runs one child process per client, so a crash or hang inside one library
cannot take the other with it; a child runs each op as a cell in a thread
with a time limit and appends one JSON line per cell to --out. Cells a child
never reported (it crashed or ran out of time) are recorded as failures by
the parent. Every cell creates its own topics and groups, named after the
client, op, target and a random suffix, so runs never share state.
"""

import argparse
import importlib.metadata
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from cells import WAIT, NA, Fail, check, wait_until  # noqa: E402

OPS = [
    "metadata", "produce-none", "produce-gzip", "produce-snappy", "produce-lz4", "produce-zstd", "headers",
    "group-classic", "group-consumer", "idempotent", "transactions",
    "admin-topics", "admin-configs", "admin-groups", "admin-offsets", "admin-partitions", "share-group",
]
CLIENTS = ["confluent-kafka", "kafka-python"]

CELL_TIMEOUT = 35.0    # seconds for one cell; a cell still running then fails
CLIENT_BUDGET = 80.0   # seconds for all cells of one client (two clients per target)
N = 50                 # records per produce cell


def kafka_major(v):
    try:
        return int(v.split(".")[0])
    except ValueError:
        return 0


class Rec:
    """A consumed record, normalised across clients."""
    __slots__ = ("topic", "partition", "offset", "key", "value", "headers")

    def __init__(self, topic, partition, offset, key, value, headers):
        self.topic, self.partition, self.offset = topic, partition, offset
        self.key, self.value = key, value
        self.headers = tuple((k, v) for k, v in (headers or ()))

    def kvh(self):
        return (self.key, self.value, self.headers)


def make_records(tag, n, headers=True, start=0):
    """n records (key, value, headers) with varied, compressible values."""
    out = []
    for i in range(start, start + n):
        key = f"{tag}-k{i:03d}".encode()
        value = (f"{tag}-v{i:03d}|" + "strait-" * (i % 13) + f"|{i * 7919}").encode()
        hs = (("idx", str(i).encode()), ("tag", tag.encode())) if headers else ()
        out.append((key, value, hs))
    return out


def compare(expected, got):
    """Checks that got (records) holds exactly the expected (key, value, headers)."""
    want = sorted(expected)
    have = sorted(r.kvh() for r in got)
    if want == have:
        return
    missing = [w for w in want if w not in have]
    extra = [h for h in have if h not in want]
    msg = f"expected {len(want)} records, got {len(have)}"
    if missing:
        msg += f"; first missing {missing[0]!r}"
    if extra:
        msg += f"; first unexpected {extra[0]!r}"
    raise Fail(msg)


class Loop(threading.Thread):
    """Polls one consumer in its own thread (group rebalances need every
    member to keep polling), collecting records and the current assignment."""

    def __init__(self, client, consumer):
        super().__init__(daemon=True)
        self.client, self.consumer = client, consumer
        self.records, self.assigned, self.error = [], frozenset(), None
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.close_on_stop = False

    def run(self):
        try:
            while not self.halt.is_set():
                recs = self.client.poll(self.consumer, self.client.loop_poll)
                a = frozenset(self.client.assignment(self.consumer))
                with self.lock:
                    self.records.extend(recs)
                    self.assigned = a
            if self.close_on_stop:
                self.client.close_consumer(self.consumer)
        except Exception as e:
            self.error = e

    def snapshot(self):
        if self.error:
            raise Fail(f"consumer loop failed: {self.error}")
        with self.lock:
            return list(self.records), self.assigned

    def stop(self, close, timeout=20.0):
        self.close_on_stop = close
        self.halt.set()
        self.join(timeout)
        check(not self.is_alive(), f"consumer {'close' if close else 'poll'} did not return within {timeout:.0f}s")
        if self.error:
            raise Fail(f"consumer loop failed: {self.error}")


class Base:
    """Ops shared by both clients, written against small per-client primitives."""
    name = short = version = ""
    loop_poll = 0.2  # seconds each poll of a Loop may block

    def __init__(self, args):
        self.args = args
        self.bootstrap = args.bootstrap
        self.expect = sorted(args.expect_brokers.split(","))
        self.kafka = args.kafka_version
        self.target = args.target

    # naming
    def topic_name(self, op):
        return f"py-{self.short}-{op}-{self.target}-{secrets.token_hex(3)}"

    def group_name(self, op):
        return f"py-{self.short}-{op}-{self.target}-g-{secrets.token_hex(3)}"

    # shared helpers
    def consume_exact(self, consumer, want, timeout=WAIT, forbid=None):
        """Polls until want records arrived; fails on a forbidden record."""
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < want:
            if time.monotonic() > deadline:
                raise Fail(f"got {len(got)} of {want} records within {timeout:.0f}s")
            for r in self.poll(consumer, 0.2):
                if forbid and forbid(r):
                    raise Fail(f"read a record it should not have: key={r.key!r} p{r.partition}@{r.offset}")
                got.append(r)
        return got

    def read_back(self, topic, partitions, want, isolation=None, **kw):
        c = self.consumer(None, isolation=isolation)
        try:
            self.assign_beginning(c, topic, partitions)
            return self.consume_exact(c, want, **kw)
        finally:
            self.close_consumer(c)

    def produce_roundtrip(self, op, codec, records, partitions=3, **popts):
        topic = self.topic_name(op)
        self.create_topic(topic, partitions)
        p = self.producer(compression=codec, **popts)
        try:
            t0 = time.monotonic()
            self.send_all(p, topic, records)
            sent = time.monotonic() - t0
        finally:
            self.close_producer(p)
        got = self.read_back(topic, range(partitions), len(records))
        compare(records, got)
        return topic, got, sent

    # ops
    def op_produce(self, codec):
        _, got, sent = self.produce_roundtrip(f"produce-{codec}", codec, make_records(codec, N))
        parts = len({r.partition for r in got})
        what = "uncompressed" if codec == "none" else codec
        return f"{N} {what} records with headers produced ({sent:.1f}s) and read back identical from {parts} partitions"

    def op_headers(self):
        records = []
        for i in range(N):
            hs = (("trace-id", secrets.token_bytes(8)), ("dup", b"first"), ("dup", b"second"),
                  ("empty", b""), ("binary", bytes([0, 1, 127, 128, 255, i % 256])), ("utf8-\u00e9", "\u00fc\u00df".encode()))
            records.append((f"h-k{i:03d}".encode(), f"h-v{i}".encode(), hs))
        _, got, _ = self.produce_roundtrip("headers", None, records, partitions=1)
        check([r.kvh() for r in got] == records, "records on the single partition came back out of order")
        return f"{N} records with 6 headers each (repeated, empty, binary, non-ASCII keys) read back in order and identical"

    def op_idempotent(self):
        records = make_records("idem", N)
        _, got, _ = self.produce_roundtrip("idempotent", None, records, idempotence=True)
        by_part = {}
        for r in got:
            by_part.setdefault(r.partition, []).append(r.offset)
        for p, offs in by_part.items():
            check(sorted(offs) == list(range(min(offs), min(offs) + len(offs))),
                  f"partition {p} offsets not contiguous: {sorted(offs)}")
        return f"{N} records with enable.idempotence read back exactly once, offsets contiguous"

    def op_group(self, protocol):
        topic = self.topic_name(f"group-{protocol}")
        group = self.group_name(f"group-{protocol}")
        self.create_topic(topic, 4)
        t0 = time.monotonic()
        all4 = frozenset(range(4))
        l1 = Loop(self, self.group_consumer(group, protocol))
        l2 = Loop(self, self.group_consumer(group, protocol))
        loops = [l1, l2]
        try:
            self.subscribe(l1.consumer, topic)
            l1.start()
            self.subscribe(l2.consumer, topic)
            l2.start()

            def split():
                a1, a2 = l1.snapshot()[1], l2.snapshot()[1]
                return a1 and a2 and not (a1 & a2) and (a1 | a2) == all4 and (a1, a2)
            try:
                a1, a2 = wait_until("both members to share the 4 partitions", split, timeout=25)
            except Fail as e:
                raise Fail(f"{e}: assignments {sorted(l1.snapshot()[1])} and {sorted(l2.snapshot()[1])}")
            t_split = time.monotonic() - t0
            l1.stop(close=True)
            loops.remove(l1)
            wait_until("the remaining member to own all 4 partitions", lambda: l2.snapshot()[1] == all4, timeout=25)
            t_all = time.monotonic() - t0

            batch_a = make_records("a", 20, headers=False)
            self.send_all(self.shared_producer(), topic, batch_a)
            recs = wait_until("the remaining member to read 20 records", lambda: len(l2.snapshot()[0]) >= 20 and l2.snapshot()[0])
            compare(batch_a, recs)
            l2.stop(close=False)
            loops.remove(l2)
            self.commit(l2.consumer)
            self.close_consumer(l2.consumer)
        finally:
            for lp in loops:
                try:
                    lp.stop(close=True, timeout=10)
                except Exception:
                    pass

        batch_b = make_records("b", 20, headers=False)
        self.send_all(self.shared_producer(), topic, batch_b)
        c3 = self.group_consumer(group, protocol)
        try:
            self.subscribe(c3, topic)
            got = self.consume_exact(c3, 20, timeout=25, forbid=lambda r: r.key.startswith(b"a-"))
            compare(batch_b, got)
        finally:
            self.close_consumer(c3)
        return (f"2 members split 4 partitions {len(a1)}/{len(a2)} ({t_split:.1f}s); after one left the other owned all 4 "
                f"({t_all:.1f}s) and read 20 new records; committed; a new member resumed with only the 20 later records "
                f"({time.monotonic() - t0:.1f}s)")

    def op_group_classic(self):
        return self.op_group("classic")

    def op_group_consumer(self):
        self.group_consumer_supported()
        if kafka_major(self.kafka) < 4:
            raise NA(f"Kafka {self.kafka} does not enable the KIP-848 consumer group protocol by default")
        return self.op_group("consumer")

    def group_consumer_supported(self):
        pass

    def op_transactions(self):
        topic = self.topic_name("transactions")
        group = self.group_name("transactions")
        self.create_topic(topic, 1)
        committed = make_records("commit", 10)
        aborted = make_records("abort", 10)
        tail = make_records("tail", 5)
        self.transactional_produce(topic, group, committed, aborted, tail)
        got = self.read_back(topic, [0], 15, isolation="read_committed", forbid=lambda r: r.key.startswith(b"abort-"))
        check([r.kvh() for r in got] == committed + tail,
              "read_committed consumer did not see exactly the committed records in order")
        raw = self.read_back(topic, [0], 25)
        check([r.kvh() for r in raw] == committed + aborted + tail,
              "read_uncommitted consumer did not see all 25 records (the aborted ones included)")
        off = self.committed_offset(group, topic, 0)
        check(off == 7, f"offset sent with the transaction: group {group} has committed {off}, want 7")
        return ("committed 10, aborted 10, committed 5: read_committed saw only the 15 committed, read_uncommitted all 25; "
                "offsets sent with the committed transaction are the group's committed offset")

    def op_admin_partitions(self):
        topic = self.topic_name("admin-partitions")
        self.create_topic(topic, 1)
        self.add_partitions(topic, 3)
        leaders = wait_until("metadata to show 3 partitions with leaders", lambda: self.partition_leaders(topic, 3))
        records = {p: make_records(f"part{p}", 1) for p in range(3)}
        p = self.producer()
        try:
            # A new producer may first ask a broker that has not yet applied
            # the new partitions; producing to one it does not know fails.
            wait_until("the producer to see 3 partitions", lambda: self.producer_partitions(p, topic) == 3)
            for part, recs in records.items():
                self.send_all(p, topic, recs, partition=part)
        finally:
            self.close_producer(p)
        got = self.read_back(topic, range(3), 3)
        for r in got:
            check(r.kvh() == records[r.partition][0], f"partition {r.partition} holds {r.key!r}")
        return f"1 -> 3 partitions, leaders {leaders}; produced to and read from each new partition"


# --------------------------------------------------------------------------
# confluent-kafka (librdkafka)

class ConfluentKafka(Base):
    name, short = "confluent-kafka", "ck"

    def __init__(self, args):
        super().__init__(args)
        import confluent_kafka as ck
        from confluent_kafka import admin as cka
        self.ck, self.cka = ck, cka
        v, lib = ck.version(), ck.libversion()  # a version string, or a (string, int) pair
        v, lib = v[0] if isinstance(v, tuple) else v, lib[0] if isinstance(lib, tuple) else lib
        self.version = f"{v} (librdkafka {lib})"
        self.base = {"bootstrap.servers": self.bootstrap, "client.id": f"strait-compat-{self.short}",
                     "socket.timeout.ms": 10000, "log_level": 4}
        self.admin = cka.AdminClient(dict(self.base))
        self._producer = None

    def conf(self, **kw):
        c = dict(self.base)
        c.update(kw)
        return c

    # producing
    def producer(self, compression=None, idempotence=False, transactional_id=None):
        c = self.conf(**{"linger.ms": 5, "message.timeout.ms": 15000, "acks": "all"})
        if compression:
            c["compression.type"] = compression
        if idempotence:
            c["enable.idempotence"] = True
        if transactional_id:
            c["transactional.id"] = transactional_id
            c["transaction.timeout.ms"] = 30000
        return self.ck.Producer(c)

    def shared_producer(self):
        if self._producer is None:
            self._producer = self.producer()
        return self._producer

    def send_all(self, p, topic, records, partition=None, flush=True):
        errors = []

        def cb(err, msg):
            if err is not None:
                errors.append(err)
        for key, value, hs in records:
            kw = {"key": key, "value": value, "on_delivery": cb}
            if hs:
                kw["headers"] = list(hs)
            if partition is not None:
                kw["partition"] = partition
            p.produce(topic, **kw)
            p.poll(0)
        if flush:
            left = p.flush(15)
            check(left == 0, f"{left} of {len(records)} records not delivered within 15s")
        if errors:
            raise Fail(f"delivery failed for {len(errors)} records: {errors[0]}")

    def close_producer(self, p):
        p.flush(5)

    def producer_partitions(self, p, topic):
        t = p.list_topics(topic=topic, timeout=5).topics.get(topic)
        return len(t.partitions) if t is not None and t.error is None else 0

    # consuming
    def consumer(self, group, isolation=None, **kw):
        c = self.conf(**{"group.id": group or f"py-ck-reader-{secrets.token_hex(4)}", "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "isolation.level": isolation or "read_uncommitted"})
        c.update(kw)
        return self.ck.Consumer(c)

    def group_consumer(self, group, protocol):
        if protocol == "consumer":
            return self.consumer(group, **{"group.protocol": "consumer"})
        return self.consumer(group, **{"session.timeout.ms": 10000, "heartbeat.interval.ms": 1000})

    def assign_beginning(self, c, topic, partitions):
        c.assign([self.ck.TopicPartition(topic, p, self.ck.OFFSET_BEGINNING) for p in partitions])

    def subscribe(self, c, topic):
        c.subscribe([topic])

    def poll(self, c, timeout):
        out = []
        for m in c.consume(num_messages=500, timeout=timeout):
            if m.error():
                if self.transient(m.error()):
                    continue
                raise Fail(f"consume error: {m.error()}")
            out.append(Rec(m.topic(), m.partition(), m.offset(), m.key(), m.value(), m.headers()))
        return out

    def transient(self, err):
        # A topic created a moment ago may be unknown to the broker that
        # librdkafka asked; it reports that as an event and keeps retrying,
        # so only other errors end a cell.
        return err.code() == self.ck.KafkaError.UNKNOWN_TOPIC_OR_PART and not err.fatal()

    def assignment(self, c):
        return [tp.partition for tp in c.assignment()]

    def commit(self, c):
        res = c.commit(asynchronous=False)
        bad = [tp for tp in res or [] if tp.error]
        check(not bad, f"commit failed: {bad[0].error if bad else ''}")

    def close_consumer(self, c):
        c.close()

    # admin helpers
    def create_topic(self, topic, partitions, config=None):
        nt = self.cka.NewTopic(topic, num_partitions=partitions, replication_factor=3, config=config or {})
        self.admin.create_topics([nt], operation_timeout=10, request_timeout=15)[topic].result(20)
        wait_until(f"topic {topic} in metadata", lambda: self.partition_leaders(topic, partitions))

    def partition_leaders(self, topic, partitions):
        md = self.admin.list_topics(topic=topic, timeout=5)
        t = md.topics.get(topic)
        if t is None or t.error is not None or len(t.partitions) != partitions:
            return None
        leaders = {p: pm.leader for p, pm in t.partitions.items()}
        return leaders if all(n >= 0 for n in leaders.values()) else None

    def add_partitions(self, topic, total):
        self.admin.create_partitions([self.cka.NewPartitions(topic, total)], operation_timeout=10,
                                     request_timeout=15)[topic].result(20)

    def committed_offset(self, group, topic, partition):
        req = self.ck.ConsumerGroupTopicPartitions(group, [self.ck.TopicPartition(topic, partition)])
        res = self.admin.list_consumer_group_offsets([req], request_timeout=10)[group].result(15)
        return res.topic_partitions[0].offset

    def node_addr(self, n):
        return f"{n.host}:{n.port}"

    # ops
    def op_metadata(self):
        md = self.admin.list_topics(timeout=10)
        got = sorted(f"{b.host}:{b.port}" for b in md.brokers.values())
        check(got == self.expect, f"Metadata brokers {got}, want {self.expect}")
        dc = self.admin.describe_cluster(request_timeout=10).result(15)
        got2 = sorted(self.node_addr(n) for n in dc.nodes)
        check(got2 == self.expect, f"DescribeCluster nodes {got2}, want {self.expect}")
        check(dc.controller is None or self.node_addr(dc.controller) in self.expect,
              f"DescribeCluster controller {self.node_addr(dc.controller)} not among {self.expect}")
        return f"Metadata and DescribeCluster list exactly {', '.join(got)}"

    def transactional_produce(self, topic, group, committed, aborted, tail):
        p = self.producer(transactional_id=f"py-ck-txn-{self.target}-{secrets.token_hex(4)}")
        gc = self.consumer(group)
        try:
            p.init_transactions(15)
            p.begin_transaction()
            self.send_all(p, topic, committed, flush=False)
            p.send_offsets_to_transaction([self.ck.TopicPartition(topic, 0, 7)], gc.consumer_group_metadata(), 10)
            p.commit_transaction(15)
            p.begin_transaction()
            self.send_all(p, topic, aborted)
            p.abort_transaction(15)
            p.begin_transaction()
            self.send_all(p, topic, tail, flush=False)
            p.commit_transaction(15)
        finally:
            gc.close()

    def op_admin_topics(self):
        topic = self.topic_name("admin-topics")
        nt = self.cka.NewTopic(topic, num_partitions=3, replication_factor=3, config={"cleanup.policy": "compact"})
        self.admin.create_topics([nt], operation_timeout=10, request_timeout=15)[topic].result(20)

        def described():
            d = self.admin.describe_topics(self.ck.TopicCollection([topic]), request_timeout=10)[topic].result(15)
            if len(d.partitions) != 3 or any(p.leader is None for p in d.partitions):
                return None
            return d
        d = wait_until("DescribeTopics to show 3 partitions with leaders", described)
        for p in d.partitions:
            check(self.node_addr(p.leader) in self.expect,
                  f"partition {p.id} leader {self.node_addr(p.leader)} not among {self.expect}")
            check(len(p.replicas) == 3, f"partition {p.id} has {len(p.replicas)} replicas, want 3")
            for r in p.replicas:
                check(self.node_addr(r) in self.expect, f"partition {p.id} replica {self.node_addr(r)} not among {self.expect}")
        # Brokers apply new metadata at slightly different times, so the broker
        # answering list_topics may need a moment to learn of the topic.
        wait_until("the created topic in list_topics", lambda: topic in self.admin.list_topics(timeout=5).topics)
        self.admin.delete_topics([topic], operation_timeout=10, request_timeout=15)[topic].result(20)
        wait_until("the deleted topic to leave list_topics", lambda: topic not in self.admin.list_topics(timeout=5).topics)
        return "created (3 partitions, RF 3, compact), described (leaders and replicas at expected addresses), listed, deleted"

    def op_admin_configs(self):
        R, CE = self.cka.ConfigResource, self.cka.ConfigEntry
        topic = self.topic_name("admin-configs")
        self.create_topic(topic, 1)
        res = R(self.cka.ResourceType.TOPIC, topic, incremental_configs=[
            CE("retention.ms", "123456", incremental_operation=self.cka.AlterConfigOpType.SET),
            CE("max.message.bytes", "200000", incremental_operation=self.cka.AlterConfigOpType.SET)])

        def alter():
            for f in self.admin.incremental_alter_configs([res], request_timeout=10).values():
                f.result(15)
            return True
        # The broker asked may not know the new topic yet (UNKNOWN_TOPIC_OR_PART).
        wait_until("IncrementalAlterConfigs to accept the new topic", alter)

        def described():
            entries = self.admin.describe_configs([R(self.cka.ResourceType.TOPIC, topic)], request_timeout=10)
            e = list(entries.values())[0].result(15)
            return e if e["retention.ms"].value == "123456" and e["max.message.bytes"].value == "200000" else None
        e = wait_until("the altered topic configs to be described", described)
        src = e["retention.ms"].source
        check(src == self.ck.admin.ConfigSource.DYNAMIC_TOPIC_CONFIG.value or str(src).endswith("DYNAMIC_TOPIC_CONFIG"),
              f"retention.ms source {src}, want DYNAMIC_TOPIC_CONFIG")
        broker = sorted(self.admin.list_topics(timeout=10).brokers)[0]
        be = list(self.admin.describe_configs([R(self.cka.ResourceType.BROKER, str(broker))],
                                              request_timeout=10).values())[0].result(15)
        check("log.retention.hours" in be, f"broker {broker} config lacks log.retention.hours")
        return (f"IncrementalAlterConfigs set 2 topic configs, DescribeConfigs shows them (dynamic topic config); "
                f"broker {broker} configs described")

    def op_admin_groups(self):
        topic = self.topic_name("admin-groups")
        group = self.group_name("admin-groups")
        self.create_topic(topic, 2)
        self.send_all(self.shared_producer(), topic, make_records("grp", 4, headers=False))
        lp = Loop(self, self.consumer(group, **{"session.timeout.ms": 10000, "heartbeat.interval.ms": 1000}))
        try:
            self.subscribe(lp.consumer, topic)
            lp.start()
            wait_until("the group member to read 4 records", lambda: len(lp.snapshot()[0]) >= 4 and lp.snapshot()[1] == {0, 1})

            def listed():
                res = self.admin.list_consumer_groups(request_timeout=10).result(15)
                check(not res.errors, f"list_consumer_groups errors: {res.errors}")
                return [g for g in res.valid if g.group_id == group]
            g = wait_until("the group in list_consumer_groups", listed)[0]

            def described():
                d = self.admin.describe_consumer_groups([group], request_timeout=10)[group].result(15)
                return d if d.state == self.ck.ConsumerGroupState.STABLE and len(d.members) == 1 else None
            d = wait_until("describe_consumer_groups to show a stable group of 1", described)
            m = d.members[0]
            parts = sorted(tp.partition for tp in m.assignment.topic_partitions if tp.topic == topic)
            check(parts == [0, 1], f"member assignment {parts}, want [0, 1]")
            check(m.client_id == self.base["client.id"], f"member client_id {m.client_id!r}")
            check(self.node_addr(d.coordinator) in self.expect,
                  f"coordinator {self.node_addr(d.coordinator)} not among {self.expect}")
        finally:
            lp.stop(close=True)
        self.admin.delete_consumer_groups([group], request_timeout=10)[group].result(15)

        def gone():
            res = self.admin.list_consumer_groups(request_timeout=10).result(15)
            return not [x for x in res.valid if x.group_id == group]
        wait_until("the deleted group to leave list_consumer_groups", gone)
        return (f"listed (state {g.state.name}), described (stable, 1 member with both partitions, coordinator "
                f"{self.node_addr(d.coordinator)}), deleted")

    def op_admin_offsets(self):
        TP = self.ck.TopicPartition
        topic = self.topic_name("admin-offsets")
        group = self.group_name("admin-offsets")
        self.create_topic(topic, 2)
        recs = {p: make_records(f"off{p}", 5, headers=False) for p in (0, 1)}
        for p, rs in recs.items():
            self.send_all(self.shared_producer(), topic, rs, partition=p)

        def latest():
            # A fresh admin client per try: librdkafka finds the leaders in
            # its metadata cache, and a long-lived handle can keep answering
            # "No leaders found" (_NOENT) for a new topic well after the
            # brokers know it (seen directly and through the gateway alike).
            adm = self.cka.AdminClient(dict(self.base))
            lo = adm.list_offsets({TP(topic, p): self.cka.OffsetSpec.latest() for p in (0, 1)}, request_timeout=10)
            return {tp.partition: f.result(15).offset for tp, f in lo.items()}
        ends = wait_until("ListOffsets to find the partition leaders", latest)
        check(ends == {0: 5, 1: 5}, f"ListOffsets latest {ends}, want 5 and 5")
        c = self.consumer(group)
        try:
            self.subscribe(c, topic)
            self.consume_exact(c, 10)
            self.commit(c)
        finally:
            c.close()

        def offsets():
            req = self.ck.ConsumerGroupTopicPartitions(group)
            r = self.admin.list_consumer_group_offsets([req], request_timeout=10)[group].result(15)
            return {tp.partition: tp.offset for tp in r.topic_partitions if tp.topic == topic}
        check(offsets() == {0: 5, 1: 5}, f"committed {offsets()}, want 5 and 5")
        req = self.ck.ConsumerGroupTopicPartitions(group, [TP(topic, 0, 2), TP(topic, 1, 3)])
        r = self.admin.alter_consumer_group_offsets([req], request_timeout=10)[group].result(15)
        bad = [tp for tp in r.topic_partitions if tp.error]
        check(not bad, f"alter_consumer_group_offsets: {bad[0].error if bad else ''}")
        check(offsets() == {0: 2, 1: 3}, f"after alter committed {offsets()}, want 2 and 3")
        c = self.consumer(group)
        try:
            self.subscribe(c, topic)
            got = self.consume_exact(c, 5)
            want = recs[0][2:] + recs[1][3:]
            compare(want, got)
        finally:
            c.close()
        return "ListOffsets latest, committed offsets listed, altered to 2/3, a group member resumed from the altered offsets"

    def op_share_group(self):
        if kafka_major(self.kafka) < 4:
            raise NA(f"Kafka {self.kafka} has no share groups (KIP-932)")
        R, CE = self.cka.ConfigResource, self.cka.ConfigEntry
        topic = self.topic_name("share-group")
        group = self.group_name("share-group")
        self.create_topic(topic, 1)
        res = R(self.cka.ResourceType.GROUP, group, incremental_configs=[
            CE("share.auto.offset.reset", "earliest", incremental_operation=self.cka.AlterConfigOpType.SET)])
        for f in self.admin.incremental_alter_configs([res], request_timeout=10).values():
            f.result(15)
        records = make_records("share", 10)
        self.send_all(self.shared_producer(), topic, records)
        got = self.share_consume(group, topic, len(records))
        compare(records, got)
        later = make_records("share-later", 2)
        self.send_all(self.shared_producer(), topic, later)
        got = self.share_consume(group, topic, len(later), forbid=lambda r: not r.key.startswith(b"share-later-"))
        compare(later, got)
        return ("share consumer (group config share.auto.offset.reset=earliest) received and acknowledged 10 records; "
                "a second share consumer got only the 2 records produced after")

    def share_consume(self, group, topic, want, forbid=None, timeout=20):
        sc = self.ck.ShareConsumer(self.conf(**{"group.id": group, "share.acknowledgement.mode": "explicit"}))
        got = {}
        try:
            sc.subscribe([topic])
            deadline = time.monotonic() + timeout
            while len(got) < want:
                check(time.monotonic() < deadline, f"share consumer got {len(got)} of {want} records within {timeout}s")
                for m in sc.poll(0.5):
                    if m.error():
                        if self.transient(m.error()):
                            continue
                        raise Fail(f"share consume error: {m.error()}")
                    r = Rec(m.topic(), m.partition(), m.offset(), m.key(), m.value(), m.headers())
                    if forbid and forbid(r):
                        raise Fail(f"share consumer got an acknowledged record again: {r.key!r}@{r.offset}")
                    got[m.offset()] = r
                    sc.acknowledge(m, self.ck.AcknowledgeType.ACCEPT)
            res = sc.commit_sync(10) or {}
            bad = {tp: e for tp, e in res.items() if e is not None}
            check(not bad, f"share acknowledgement commit failed: {bad}")
        finally:
            sc.close()
        return list(got.values())


# --------------------------------------------------------------------------
# kafka-python

class KafkaPython(Base):
    name, short = "kafka-python", "kp"

    def __init__(self, args):
        super().__init__(args)
        import kafka
        import kafka.admin as ka
        self.k, self.ka = kafka, ka
        self.version = kafka.__version__
        self.base = {"bootstrap_servers": self.bootstrap.split(","), "client_id": f"strait-compat-{self.short}",
                     "request_timeout_ms": 15000}
        self.admin = ka.KafkaAdminClient(**self.base)
        self._producer = None

    def conf(self, **kw):
        c = dict(self.base)
        c.update(kw)
        return c

    def producer(self, compression=None, idempotence=False, transactional_id=None):
        # metadata_max_age_ms: kafka-python refreshes a known topic's
        # metadata only that often (5 min by default), and a new producer
        # may first hear from a broker that has not applied a change yet.
        c = self.conf(linger_ms=5, acks="all", max_block_ms=15000, delivery_timeout_ms=15000, request_timeout_ms=10000,
                      metadata_max_age_ms=1000, compression_type=None if compression == "none" else compression,
                      enable_idempotence=idempotence or bool(transactional_id))
        if transactional_id:
            c["transactional_id"] = transactional_id
            c["transaction_timeout_ms"] = 30000
        return self.k.KafkaProducer(**c)

    def shared_producer(self):
        if self._producer is None:
            self._producer = self.producer()
        return self._producer

    def send_all(self, p, topic, records, partition=None, flush=True):
        futs = [p.send(topic, key=k, value=v, headers=list(hs) or None, partition=partition) for k, v, hs in records]
        if flush:
            p.flush(timeout=15)
        for f in futs:
            f.get(timeout=15)

    def close_producer(self, p):
        p.close(timeout=5)

    def producer_partitions(self, p, topic):
        return len(p.partitions_for(topic) or ())

    def consumer(self, group, isolation=None, **kw):
        c = self.conf(group_id=group, enable_auto_commit=False, auto_offset_reset="earliest",
                      isolation_level=isolation or "read_uncommitted", fetch_max_wait_ms=100)
        c.update(kw)
        return self.k.KafkaConsumer(**c)

    def group_consumer_supported(self):
        raise NA("kafka-python has no KIP-848 consumer group protocol")

    def group_consumer(self, group, protocol):
        # A request timeout below the session timeout lets a member retry a
        # JoinGroup/SyncGroup round trip that got no answer before the group
        # coordinator gives up on it.
        return self.consumer(group, session_timeout_ms=10000, heartbeat_interval_ms=1000, request_timeout_ms=6000)

    def assign_beginning(self, c, topic, partitions):
        tps = [self.k.TopicPartition(topic, p) for p in partitions]
        c.assign(tps)
        c.seek_to_beginning(*tps)

    def subscribe(self, c, topic):
        # Load the topic's metadata before joining: a kafka-python group that
        # forms before its members know a just-created topic rebalances again
        # once they do, and that second rebalance sometimes leaves the leader
        # without its assignment until its session times out.
        wait_until(f"consumer metadata for {topic}", lambda: c.partitions_for_topic(topic))
        c.subscribe([topic])

    def poll(self, c, timeout):
        out = []
        for tp, recs in c.poll(timeout_ms=int(timeout * 1000)).items():
            for r in recs:
                out.append(Rec(r.topic, r.partition, r.offset, r.key, r.value, r.headers))
        return out

    def assignment(self, c):
        return [tp.partition for tp in c.assignment()]

    def commit(self, c):
        c.commit(timeout_ms=10000)

    def close_consumer(self, c):
        c.close(timeout_ms=10000)

    def create_topic(self, topic, partitions, configs=None):
        self.admin.create_topics({topic: {"num_partitions": partitions, "replication_factor": 3, "configs": configs or {}}},
                                 timeout_ms=10000)
        wait_until(f"topic {topic} in metadata", lambda: self.partition_leaders(topic, partitions))

    def partition_leaders(self, topic, partitions):
        ts = [t for t in self.admin.describe_topics([topic]) if t["name"] == topic]
        if not ts or ts[0]["error_code"] != 0 or len(ts[0]["partitions"]) != partitions:
            return None
        leaders = {p["partition_index"]: p["leader_id"] for p in ts[0]["partitions"]}
        return dict(sorted(leaders.items())) if all(n >= 0 for n in leaders.values()) else None

    def add_partitions(self, topic, total):
        self.admin.create_partitions({topic: total}, timeout_ms=10000)

    def committed_offset(self, group, topic, partition):
        tp = self.k.TopicPartition(topic, partition)
        res = self.admin.list_group_offsets({group: [tp]})
        om = res.get(group, {}).get(tp)
        return om.offset if om is not None else None

    def op_metadata(self):
        cl = self.admin.describe_cluster()
        got = sorted(f"{b['host']}:{b['port']}" for b in cl["brokers"])
        check(got == self.expect, f"Metadata brokers {got}, want {self.expect}")
        c = self.k.KafkaConsumer(**self.conf(enable_auto_commit=False))
        try:
            c.topics()
            got2 = sorted(f"{b.host}:{b.port}" for b in c._client.cluster.brokers())
        finally:
            c.close()
        check(got2 == self.expect, f"consumer metadata brokers {got2}, want {self.expect}")
        return f"admin and consumer metadata list exactly {', '.join(got)}"

    def transactional_produce(self, topic, group, committed, aborted, tail):
        p = self.producer(transactional_id=f"py-kp-txn-{self.target}-{secrets.token_hex(4)}")
        try:
            p.init_transactions()
            p.begin_transaction()
            self.send_all(p, topic, committed, flush=False)
            p.send_offsets_to_transaction({self.k.TopicPartition(topic, 0): self.k.OffsetAndMetadata(7, "", -1)}, group)
            p.commit_transaction()
            p.begin_transaction()
            self.send_all(p, topic, aborted)
            p.abort_transaction()
            p.begin_transaction()
            self.send_all(p, topic, tail, flush=False)
            p.commit_transaction()
        finally:
            p.close(timeout=5)

    def op_admin_topics(self):
        topic = self.topic_name("admin-topics")
        self.admin.create_topics({topic: {"num_partitions": 3, "replication_factor": 3,
                                          "configs": {"cleanup.policy": "compact"}}}, timeout_ms=10000)

        def described():
            ts = [t for t in self.admin.describe_topics([topic]) if t["name"] == topic]
            if not ts or ts[0]["error_code"] != 0 or len(ts[0]["partitions"]) != 3:
                return None
            return ts[0] if all(p["leader_id"] >= 0 for p in ts[0]["partitions"]) else None
        t = wait_until("describe_topics to show 3 partitions with leaders", described)
        ids = {b["broker_id"]: f"{b['host']}:{b['port']}" for b in self.admin.describe_cluster()["brokers"]}
        for p in t["partitions"]:
            check(p["leader_id"] in ids, f"partition {p['partition_index']} leader {p['leader_id']} not a listed broker")
            check(len(p["replica_nodes"]) == 3, f"partition {p['partition_index']} has {len(p['replica_nodes'])} replicas")
        wait_until("the created topic in list_topics", lambda: topic in self.admin.list_topics())
        # kafka-python drops DescribeConfigs errors, so a broker that does not
        # know the new topic yet answers with no configs: retry until it does.
        cfg = wait_until("DescribeConfigs to show the topic's cleanup.policy", lambda: self.admin.describe_configs(
            [self.ka.ConfigResource("TOPIC", topic, {"cleanup.policy": None})], config_filter="all")["topic"][topic],
            timeout=10)
        val = cfg["cleanup.policy"]["value"]
        check(val == "compact", f"cleanup.policy {val!r}, want compact")
        self.admin.delete_topics([topic], timeout_ms=10000)
        wait_until("the deleted topic to leave list_topics", lambda: topic not in self.admin.list_topics())
        return "created (3 partitions, RF 3, compact), described (leaders are listed brokers), listed, deleted"

    def op_admin_configs(self):
        topic = self.topic_name("admin-configs")
        self.create_topic(topic, 1)

        def alter():
            # kafka-python checks the keys against a DescribeConfigs first and
            # ignores its error code, so a broker that has not yet seen the new
            # topic makes it raise "Unrecognized configs": retry that.
            cfg = {"retention.ms": "123456", "max.message.bytes": "200000"}
            res = self.admin.alter_configs([self.ka.ConfigResource("TOPIC", topic, cfg)])
            if res.get("topic", {}).get(topic) != "OK":
                raise RuntimeError(f"alter_configs: {res}")  # retried by wait_until
            return True
        wait_until("alter_configs to accept the new topic", alter)

        def described():
            d = self.admin.describe_configs([self.ka.ConfigResource("TOPIC", topic)])["topic"][topic]
            ok = d.get("retention.ms", {}).get("value") == "123456" and d.get("max.message.bytes", {}).get("value") == "200000"
            return d if ok else None
        d = wait_until("the altered topic configs to be described", described)
        src = d["retention.ms"].get("config_source")
        check(src == "DYNAMIC_TOPIC_CONFIG", f"retention.ms source {src}, want DYNAMIC_TOPIC_CONFIG")
        broker = sorted(b["broker_id"] for b in self.admin.describe_cluster()["brokers"])[0]
        bd = self.admin.describe_configs([self.ka.ConfigResource("BROKER", str(broker))], config_filter="all")
        check("log.retention.hours" in bd["broker"][str(broker)], f"broker {broker} config lacks log.retention.hours")
        return (f"IncrementalAlterConfigs set 2 topic configs, DescribeConfigs shows them (dynamic topic config); "
                f"broker {broker} configs described")

    def op_admin_groups(self):
        topic = self.topic_name("admin-groups")
        group = self.group_name("admin-groups")
        self.create_topic(topic, 2)
        self.send_all(self.shared_producer(), topic, make_records("grp", 4, headers=False))
        lp = Loop(self, self.consumer(group, session_timeout_ms=10000, heartbeat_interval_ms=1000))
        try:
            self.subscribe(lp.consumer, topic)
            lp.start()
            wait_until("the group member to read 4 records", lambda: len(lp.snapshot()[0]) >= 4 and lp.snapshot()[1] == {0, 1})
            g = wait_until("the group in list_groups", lambda: [x for x in self.admin.list_groups() if x["group_id"] == group])[0]

            def described():
                d = self.admin.describe_groups([group])[group]
                return d if d.get("group_state") == "Stable" and len(d.get("members", [])) == 1 else None
            d = wait_until("describe_groups to show a stable group of 1", described)
            m = d["members"][0]
            check(m.get("client_id") == self.base["client_id"], f"member client_id {m.get('client_id')!r}")
            assignment = m.get("member_assignment") or {}
            parts = sorted(p for t in assignment.get("assigned_partitions", []) if t.get("topic") == topic
                           for p in t.get("partitions", []))
            check(parts == [0, 1], f"member assignment {parts}, want [0, 1]")
        finally:
            lp.stop(close=True)
        res = self.admin.delete_groups([group])
        check(res.get(group) == "OK", f"delete_groups: {res}")
        wait_until("the deleted group to leave list_groups",
                   lambda: not [x for x in self.admin.list_groups() if x["group_id"] == group])
        return (f"listed ({g.get('group_type')} group, {g.get('group_state')}), described (stable, 1 member with both "
                f"partitions), deleted")

    def op_admin_offsets(self):
        TP, OM = self.k.TopicPartition, self.k.OffsetAndMetadata
        topic = self.topic_name("admin-offsets")
        group = self.group_name("admin-offsets")
        self.create_topic(topic, 2)
        recs = {p: make_records(f"off{p}", 5, headers=False) for p in (0, 1)}
        for p, rs in recs.items():
            self.send_all(self.shared_producer(), topic, rs, partition=p)
        tp0, tp1 = TP(topic, 0), TP(topic, 1)
        c = self.consumer(group)
        try:
            self.subscribe(c, topic)
            self.consume_exact(c, 10)
            self.commit(c)
        finally:
            self.close_consumer(c)

        def offsets():
            r = self.admin.list_group_offsets({group: None}).get(group, {})
            return {tp.partition: om.offset for tp, om in r.items() if tp.topic == topic}
        check(offsets() == {0: 5, 1: 5}, f"committed {offsets()}, want 5 and 5")
        r = self.admin.alter_group_offsets(group, {tp0: OM(2, "", -1), tp1: OM(3, "", -1)})
        check(all(e is self.k.errors.NoError for e in r.values()), f"alter_group_offsets: {r}")
        check(offsets() == {0: 2, 1: 3}, f"after alter committed {offsets()}, want 2 and 3")
        c = self.consumer(group)
        try:
            self.subscribe(c, topic)
            got = self.consume_exact(c, 5)
            compare(recs[0][2:] + recs[1][3:], got)
        finally:
            self.close_consumer(c)
        r = self.admin.reset_group_offsets(group, {tp0: self.ka.OffsetSpec.EARLIEST})
        check(r.get(tp0, {}).get("error") is self.k.errors.NoError and r[tp0].get("offset") == 0,
              f"reset_group_offsets: {r}")
        check(offsets().get(0) == 0, f"after reset to earliest committed {offsets()}, want partition 0 at 0")
        r = self.admin.delete_group_offsets(group, [tp1])
        check(all(e is self.k.errors.NoError for e in r.values()), f"delete_group_offsets: {r}")
        left = offsets()
        check(1 not in left or left[1] in (-1, None), f"after delete committed {left}, want partition 1 gone")
        return "committed offsets listed, altered to 2/3 (a member resumed there), reset to earliest, deleted"

    def op_share_group(self):
        raise NA("kafka-python has no share consumer (KIP-932)")


# --------------------------------------------------------------------------
# runner

IMPLS = {"confluent-kafka": ConfluentKafka, "kafka-python": KafkaPython}


def op_fn(impl, op):
    if op.startswith("produce-"):
        codec = op[len("produce-"):]
        return lambda: impl.op_produce(codec)
    return getattr(impl, "op_" + op.replace("-", "_"))


def emit(out, client, version, op, status, detail):
    line = json.dumps({"suite": "python", "client": client, "client_version": version,
                       "op": op, "status": status, "detail": detail})
    with open(out, "a") as f:
        f.write(line + "\n")
    print(f"{client:16} {op:18} {status:4} {detail}", flush=True)


def run_cell(fn, timeout):
    box = {}

    def body():
        try:
            box["detail"] = fn()
            box["status"] = "pass"
        except NA as e:
            box["status"], box["detail"] = "n/a", str(e)
        except Fail as e:
            box["status"], box["detail"] = "fail", str(e)
        except BaseException as e:
            box["status"], box["detail"] = "fail", f"{type(e).__name__}: {e}"
            traceback.print_exc()
    th = threading.Thread(target=body, daemon=True)
    t0 = time.monotonic()
    th.start()
    th.join(timeout)
    if th.is_alive():
        return "fail", f"hung: no result within {timeout:.0f}s"
    detail = str(box.get("detail") or "").replace("\n", " ")
    return box["status"], f"{detail} [{time.monotonic() - t0:.1f}s]"


def run_client(args):
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    logging.getLogger("kafka.coordinator").setLevel(logging.INFO)  # group joins and assignments, for failures
    logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)  # slow-task warnings on a busy machine
    deadline = time.monotonic() + CLIENT_BUDGET
    version = client_version(args.client)
    ops = args.ops.split(",") if args.ops else OPS
    try:
        impl = IMPLS[args.client](args)
        version = impl.version
    except Exception as e:
        for op in ops:
            emit(args.out, args.client, version, op, "fail", f"client setup failed: {type(e).__name__}: {e}")
        return
    for op in ops:
        left = deadline - time.monotonic()
        if left < 3:
            emit(args.out, args.client, version, op, "fail", f"not run: the client's {CLIENT_BUDGET:.0f}s budget was used up")
            continue
        print(f"-- {args.client} {op}", file=sys.stderr, flush=True)
        status, detail = run_cell(op_fn(impl, op), min(CELL_TIMEOUT, left))
        emit(args.out, args.client, version, op, status, detail)


def client_version(client):
    try:
        return importlib.metadata.version(client)
    except importlib.metadata.PackageNotFoundError:
        return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--target", required=True, choices=["direct", "gateway", "namespace"])
    ap.add_argument("--kafka-version", required=True)
    ap.add_argument("--expect-brokers", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--client", help="run one client in this process (the parent runs each in a child)")
    ap.add_argument("--ops", help="comma-separated ops to run (default: all)")
    args = ap.parse_args()
    args.out = os.path.abspath(args.out)

    if args.client:
        run_client(args)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)  # do not wait for cells that hung in library threads

    clients = CLIENTS
    for client in clients:
        start = os.path.getsize(args.out) if os.path.exists(args.out) else 0
        cmd = [sys.executable, "-u", os.path.abspath(__file__), "--client", client] + sys.argv[1:]
        t0 = time.monotonic()
        try:
            rc = subprocess.run(cmd, timeout=CLIENT_BUDGET + 15).returncode
            why = f"exited with status {rc}"
        except subprocess.TimeoutExpired:
            rc, why = None, "was killed after running out of time"
        print(f"== {client}: {time.monotonic() - t0:.1f}s", flush=True)
        done = set()
        if os.path.exists(args.out):
            with open(args.out) as f:
                f.seek(start)
                for line in f:
                    try:
                        c = json.loads(line)
                    except ValueError:
                        continue
                    if c.get("client") == client:
                        done.add(c.get("op"))
        ops = args.ops.split(",") if args.ops else OPS
        for op in ops:
            if op not in done:
                emit(args.out, client, client_version(client), op, "fail", f"not run: the {client} process {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
