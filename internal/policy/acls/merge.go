// Putting refused entries back: for each key whose entries can be refused
// one by one, how the entries of an error response join a response.

package acls

import "github.com/twmb/franz-go/pkg/kmsg"

// mergeInto adapts a typed merge.
func mergeInto[T kmsg.Response](f func(dst, src T)) func(dst, src kmsg.Response) {
	return func(dst, src kmsg.Response) { f(dst.(T), src.(T)) }
}

// mergers appends the entries of src, an error response built by errresp
// for refused entries, to dst, a response to the same key and version.
// Only entries move: src's top-level fields are not the response's.
var mergers = map[int16]func(dst, src kmsg.Response){
	0: mergeInto(func(d, s *kmsg.ProduceResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	1: mergeInto(func(d, s *kmsg.FetchResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	2: mergeInto(func(d, s *kmsg.ListOffsetsResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	3: mergeInto(func(d, s *kmsg.MetadataResponse) {
		for _, t := range s.Topics {
			if d.Version >= 12 && t.TopicID != ([16]byte{}) && t.Topic != nil && *t.Topic == "" {
				t.Topic = nil // asked for by id: Kafka does not name it
			}
			d.Topics = append(d.Topics, t)
		}
	}),
	8: mergeInto(func(d, s *kmsg.OffsetCommitResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	9: mergeInto(func(d, s *kmsg.OffsetFetchResponse) {
		d.Topics = append(d.Topics, s.Topics...)
		d.Groups = append(d.Groups, s.Groups...)
	}),
	10: mergeInto(func(d, s *kmsg.FindCoordinatorResponse) { d.Coordinators = append(d.Coordinators, s.Coordinators...) }),
	15: mergeInto(func(d, s *kmsg.DescribeGroupsResponse) { d.Groups = append(d.Groups, s.Groups...) }),
	19: mergeInto(func(d, s *kmsg.CreateTopicsResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	20: mergeInto(func(d, s *kmsg.DeleteTopicsResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	21: mergeInto(func(d, s *kmsg.DeleteRecordsResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	23: mergeInto(func(d, s *kmsg.OffsetForLeaderEpochResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	28: mergeInto(func(d, s *kmsg.TxnOffsetCommitResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	32: mergeInto(func(d, s *kmsg.DescribeConfigsResponse) { d.Resources = append(d.Resources, s.Resources...) }),
	33: mergeInto(func(d, s *kmsg.AlterConfigsResponse) { d.Resources = append(d.Resources, s.Resources...) }),
	37: mergeInto(func(d, s *kmsg.CreatePartitionsResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	42: mergeInto(func(d, s *kmsg.DeleteGroupsResponse) { d.Groups = append(d.Groups, s.Groups...) }),
	44: mergeInto(func(d, s *kmsg.IncrementalAlterConfigsResponse) { d.Resources = append(d.Resources, s.Resources...) }),
	47: mergeInto(func(d, s *kmsg.OffsetDeleteResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	61: mergeInto(func(d, s *kmsg.DescribeProducersResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	65: mergeInto(func(d, s *kmsg.DescribeTransactionsResponse) {
		d.TransactionStates = append(d.TransactionStates, s.TransactionStates...)
	}),
	69: mergeInto(func(d, s *kmsg.ConsumerGroupDescribeResponse) { d.Groups = append(d.Groups, s.Groups...) }),
	75: mergeInto(func(d, s *kmsg.DescribeTopicPartitionsResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	77: mergeInto(func(d, s *kmsg.ShareGroupDescribeResponse) { d.Groups = append(d.Groups, s.Groups...) }),
	78: mergeInto(func(d, s *kmsg.ShareFetchResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	79: mergeInto(func(d, s *kmsg.ShareAcknowledgeResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	90: mergeInto(func(d, s *kmsg.DescribeShareGroupOffsetsResponse) { d.Groups = append(d.Groups, s.Groups...) }),
	91: mergeInto(func(d, s *kmsg.AlterShareGroupOffsetsResponse) { d.Topics = append(d.Topics, s.Topics...) }),
	92: mergeInto(func(d, s *kmsg.DeleteShareGroupOffsetsResponse) { d.Topics = append(d.Topics, s.Topics...) }),
}
