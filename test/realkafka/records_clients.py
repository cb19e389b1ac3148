"""Avro clients of the record policy tests (records_test.go): a producer
whose values Confluent's AvroSerializer writes (registering the schema in
the registry it is given), and a consumer that reads them back with the
AvroDeserializer. Both print JSON for the test to check.

    records_clients.py produce BOOTSTRAP REGISTRY_URL TOPIC N
    records_clients.py consume BOOTSTRAP REGISTRY_URL TOPIC N
"""

import json
import sys
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

SCHEMA = json.dumps({
    "type": "record", "name": "Order", "namespace": "strait.records",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "item", "type": "string"},
        {"name": "qty", "type": "int"},
    ],
})


def order(i):
    return {"id": i, "item": "item-%d" % i, "qty": i * 3}


def produce(boot, registry, topic, n):
    sr = SchemaRegistryClient({"url": registry})
    ser = AvroSerializer(sr, SCHEMA)
    p = Producer({"bootstrap.servers": boot, "linger.ms": 20})
    errors, ids = [], set()
    for i in range(n):
        value = ser(order(i), SerializationContext(topic, MessageField.VALUE))
        ids.add(int.from_bytes(value[1:5], "big"))
        p.produce(topic, key=str(i).encode(), value=value,
                  on_delivery=lambda e, m: e and errors.append(str(e)))
    left = p.flush(30)
    print(json.dumps({"schema_ids": sorted(ids), "undelivered": left, "errors": errors}))
    return 0 if not left and not errors else 1


def consume(boot, registry, topic, n):
    sr = SchemaRegistryClient({"url": registry})
    de = AvroDeserializer(sr)
    c = Consumer({"bootstrap.servers": boot, "group.id": "%s-py-%d" % (topic, time.time_ns()),
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    got, errors, deadline = [], [], time.time() + 45
    while len(got) < n and time.time() < deadline and not errors:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            errors.append(str(m.error()))
            continue
        got.append({"value": de(m.value(), SerializationContext(topic, MessageField.VALUE)),
                    "headers": [h[0] for h in (m.headers() or [])]})
    c.close()
    for g in got:
        print(json.dumps(g, sort_keys=True))
    if len(got) != n or errors:
        print("consumed %d of %d: %s" % (len(got), n, errors), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    mode, boot, registry, topic, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
    sys.exit({"produce": produce, "consume": consume}[mode](boot, registry, topic, n))
