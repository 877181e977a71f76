/// What follows a table's writes (see `SessionTable`): the person index, the checkout
/// funnel counts and what keeping them needs. Behind one reference, copied on write,
/// because the hub reads its table often and Swift copies the table whole to read one
/// field of it (`table.slot(of:)` retains and releases every map and array in it): held
/// inline, these would have added their own to every beacon.
final class SessionFollowUp {
    private(set) var people = PersonIndex()
    private(set) var funnel = CheckoutFunnelCounts()
    /// Where each slot's session counts in `funnel`, as last counted: following up a write
    /// then derives the session's stage once, after it, instead of before and after.
    private var stages: [CheckoutFunnelCounts.Stage] = []
    /// The pending slot's contact fields before its writes (the index is keyed by them:
    /// they say which entries to move).
    var pendingContact = PersonIndex.Contact()
    /// See `SessionTable.reads`. Counted without copying on write: only tests read it.
    var reads = 0

    init() {}

    init(copying other: SessionFollowUp) {
        people = other.people
        funnel = other.funnel
        stages = other.stages
        pendingContact = other.pendingContact
        reads = other.reads
    }

    func added(_ session: Session, at slot: Int32) {
        let stage = CheckoutFunnelCounts.Stage(session)
        if Int(slot) < stages.count { stages[Int(slot)] = stage } else { stages.append(stage) }
        people.add(session.id, PersonIndex.Contact(session))
        funnel.add(stage)
    }

    func removed(_ session: Session, at slot: Int32) {
        people.remove(session.id, PersonIndex.Contact(session))
        funnel.remove(stages[Int(slot)])
    }

    /// The session in `slot` was written since `pendingContact` was taken.
    func written(_ session: UnsafePointer<Session?>, at slot: Int32) {
        let contact = PersonIndex.Contact(session)
        if contact != pendingContact { people.update(session.pointee!.id, from: pendingContact, to: contact) }
        let stage = CheckoutFunnelCounts.Stage(session)
        if stage != stages[Int(slot)] {
            funnel.move(from: stages[Int(slot)], to: stage)
            stages[Int(slot)] = stage
        }
    }
}
