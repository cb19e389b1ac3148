package protocol

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestProduceNamesBrokers builds Produce responses of every flexible
// version with and without leader endpoints, around every variable-length
// field the scan skips, and checks the scan against the decoded answer.
func TestProduceNamesBrokers(t *testing.T) {
	msg := "not the leader"
	for version := int16(10); version <= kmsg.NewPtrProduceResponse().MaxVersion(); version++ {
		for _, brokers := range []int{0, 1, 3} {
			for _, shape := range []string{"empty", "plain", "errors", "tags"} {
				resp := kmsg.NewPtrProduceResponse()
				resp.Version = version
				resp.ThrottleMillis = 7
				if shape != "empty" {
					for ti := range 2 {
						topic := kmsg.NewProduceResponseTopic()
						topic.Topic = "topic-" + string(rune('a'+ti))
						topic.TopicID = [16]byte{byte(ti + 1)}
						for pi := range 3 {
							p := kmsg.NewProduceResponseTopicPartition()
							p.Partition = int32(pi)
							p.BaseOffset = 1 << 40
							if shape != "plain" {
								p.ErrorCode = 6
								p.ErrorMessage = &msg
								rec := kmsg.NewProduceResponseTopicPartitionErrorRecord()
								rec.RelativeOffset = 3
								rec.ErrorMessage = &msg
								p.ErrorRecords = append(p.ErrorRecords, rec)
								p.CurrentLeader.LeaderID = 2
								p.CurrentLeader.LeaderEpoch = 9
							}
							if shape == "tags" {
								p.UnknownTags.Set(7, []byte("x"))
								topic.UnknownTags.Set(5, []byte("yz"))
							}
							topic.Partitions = append(topic.Partitions, p)
						}
						resp.Topics = append(resp.Topics, topic)
					}
				}
				if shape == "tags" {
					resp.UnknownTags.Set(9, []byte("later"))
				}
				for i := range brokers {
					b := kmsg.NewProduceResponseBroker()
					b.NodeID, b.Host, b.Port = int32(i), "broker.example", 9092
					resp.Brokers = append(resp.Brokers, b)
				}
				body := resp.AppendTo(nil)
				if got, want := produceNamesBrokers(version, body), brokers > 0; got != want {
					t.Errorf("v%d %s with %d brokers: scan says %v, want %v", version, shape, brokers, got, want)
				}
				// A body cut short is never taken as free of brokers.
				if len(body) > 3 && !produceNamesBrokers(version, body[:len(body)-3]) && brokers == 0 && shape != "empty" {
					t.Errorf("v%d %s: truncated body scanned as complete", version, shape)
				}
			}
		}
	}
}

func FuzzProduceNamesBrokers(f *testing.F) {
	resp := kmsg.NewPtrProduceResponse()
	resp.Version = 12
	f.Add(int16(12), resp.AppendTo(nil))
	f.Fuzz(func(t *testing.T, version int16, body []byte) {
		if version < 10 || version > 13 {
			return
		}
		got := produceNamesBrokers(version, body)
		decoded := kmsg.NewPtrProduceResponse()
		decoded.Version = version
		if err := decoded.ReadFrom(body); err == nil && len(decoded.Brokers) > 0 && !got {
			t.Fatalf("scan missed %d brokers", len(decoded.Brokers))
		}
	})
}
