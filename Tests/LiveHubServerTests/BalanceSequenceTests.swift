import Testing
@testable import LiveHubServer

@Suite("A balance socket's seqs: each once, in order")
struct BalanceSequenceTests {
    /// A socket whose first read answered up to `seq`.
    private func opened(at seq: Int64) -> BalanceSequence {
        var sequence = BalanceSequence()
        sequence.started()
        #expect(sequence.replayArrived(lastSeq: seq) == (true, nil))
        return sequence
    }

    @Test func onlyTheNextSeqGoesOutLiveAndALaterOneHasTheGapReadFirst() {
        var sequence = opened(at: 3)
        #expect(sequence.live(4) == (true, nil))
        // 6 arrives live before 5 (written on another node, announced later): 5 and 6 are
        // read from the table instead, from after 4.
        #expect(sequence.live(6) == (false, 4))
        #expect(sequence.live(5) == (false, nil), "a read is on its way: nothing goes out live meanwhile")
        #expect(sequence.replayArrived(lastSeq: 6) == (true, nil), "the read had both; nothing newer was heard of")
        #expect(sequence.live(6) == (false, nil), "never twice")
        #expect(sequence.live(7) == (true, nil))
        #expect(sequence.sentSeq == 7)
    }

    @Test func whatIsHeardOfDuringARead() {
        var sequence = BalanceSequence()
        sequence.started()
        #expect(sequence.live(1) == (false, nil), "the first read is on its way")
        #expect(sequence.announced(9) == nil)
        // The read was taken before 9 was committed: read again, from its end.
        #expect(sequence.replayArrived(lastSeq: 5) == (true, 5))
        #expect(sequence.replayArrived(lastSeq: 9) == (true, nil))
        #expect(sequence.announced(9) == nil && sequence.announced(2) == nil, "already sent")
        #expect(sequence.announced(10) == 9)
    }

    @Test func aLostLinkReadsOnceAfterTheReadOnItsWay() {
        var sequence = opened(at: 2)
        #expect(sequence.catchUp() == 2)
        #expect(sequence.catchUp() == nil, "one read at a time")
        #expect(sequence.replayArrived(lastSeq: 2) == (true, 2), "and one more after it: the loss came while it was read")
        #expect(sequence.replayArrived(lastSeq: 2) == (true, nil))
        #expect(sequence.replayArrived(lastSeq: 3) == (false, nil), "an answer nobody asked for is not sent")
    }

    @Test func aFailedReadClosesTheSocketOnlyIfOneWasAsked() {
        var sequence = BalanceSequence()
        sequence.started()
        let closes = sequence.replayFailed(), again = sequence.replayFailed()
        #expect(closes && !again)
        #expect(sequence.live(1) == (true, nil))
    }
}
