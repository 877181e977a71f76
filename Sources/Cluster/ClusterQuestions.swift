/// The questions a node has put to the others (support's lookup, the checkout funnel) and
/// the rule for their answers: each waits for the nodes that were fresh when it was asked,
/// and no longer than `deadline`; a node that is slow, stopped or dying is then named
/// (`silent`) and the answer goes out without it. Owned by whoever asks (the hub's loop),
/// which schedules `deadlinePassed` when `ask` says to; nothing here reads a clock.
///
/// `Waiter` is what the asker keeps for each question until it is finished (the hub: the
/// closure that answers the request).
public struct ClusterQuestions<Waiter> {
    /// Long enough for a node's link to hear, answer and be read (milliseconds when the
    /// medium is near); short enough for a person at a console. Nanoseconds.
    public static var deadline: UInt64 { 1_000_000_000 }
    /// Questions in flight at once; beyond them the answer is the asker's part alone.
    public static var maxPending: Int { 64 }
    /// The name `silent` holds while which nodes are up is not known.
    public static var unknownNodes: String { "unknown" }

    /// A question done with: its answers by node, and the nodes that gave none.
    public struct Finished {
        public var waiter: Waiter
        public var answers: [String: [UInt8]]
        public var silent: [String]
    }

    /// What `ask` came to.
    public enum Asking {
        /// Put it to the others as question `id`, and call `deadlinePassed(id)` after `deadline`.
        case ask(id: UInt64)
        /// Nobody is to be asked (no other node is fresh, which nodes are up is unknown, or too
        /// many questions are in flight): finished at once.
        case finished(Finished)
    }

    private struct Pending {
        var waiter: Waiter
        var waitingFor: Set<String>
        var answers: [String: [UInt8]] = [:]
    }

    private var pending: [UInt64: Pending] = [:]
    private var lastID: UInt64

    /// Ids follow `firstID` (the hub: its monotonic clock, so a restarted node's ids never
    /// meet the answers to its last life's questions).
    public init(firstID: UInt64) {
        lastID = firstID
    }

    public var inFlight: Int { pending.count }

    /// A question for the nodes `others` says are fresh.
    public mutating func ask(others: ClusterLink.Others?, waiter: Waiter) -> Asking {
        guard others?.known ?? true else { return .finished(Finished(waiter: waiter, answers: [:], silent: [Self.unknownNodes])) }
        let nodes = Set(others?.nodes ?? [])
        guard !nodes.isEmpty else { return .finished(Finished(waiter: waiter, answers: [:], silent: [])) }
        guard pending.count < Self.maxPending else { return .finished(Finished(waiter: waiter, answers: [:], silent: nodes.sorted())) }
        lastID &+= 1
        pending[lastID] = Pending(waiter: waiter, waitingFor: nodes)
        return .ask(id: lastID)
    }

    /// Answers came: the questions every awaited node has now answered are finished. An
    /// answer to a question no longer waiting (late, or a last life's) is dropped.
    public mutating func answered(_ answers: [ClusterQuery.Answer]) -> [Finished] {
        var finished: [Finished] = []
        for answer in answers {
            guard var question = pending[answer.queryID] else { continue }
            question.answers[answer.node] = answer.body
            question.waitingFor.remove(answer.node)
            if question.waitingFor.isEmpty {
                pending[answer.queryID] = nil
                finished.append(Finished(waiter: question.waiter, answers: question.answers, silent: []))
            } else {
                pending[answer.queryID] = question
            }
        }
        return finished
    }

    /// Question `id`'s deadline: finished with what came, naming the nodes that did not
    /// answer; nil if it finished before.
    public mutating func deadlinePassed(_ id: UInt64) -> Finished? {
        guard let question = pending.removeValue(forKey: id) else { return nil }
        return Finished(waiter: question.waiter, answers: question.answers, silent: question.waitingFor.sorted())
    }
}
