import Auth
import Hub
import Money
import Records

/// Erasure, on the hub's loop: a preview names who a key is and what would go, with a
/// signed confirmation; a confirmed erasure takes the person out of presence at once, then
/// is answered once the records database has committed its part and a snapshot without the
/// person is on disk (so a restart cannot bring them back). In cluster mode, another node's
/// erasure takes the person out of this node too.
/// Its inbox: `Message`, from the money engine's thread and the cluster link's.
final class ErasureFlow {
    /// What reaches the erasure flow from another thread (`HubInbox.erasures`).
    enum Message: Sendable {
        /// The records database named who the key is: the preview is made here and sent.
        case planned(MoneyResult<ErasurePlan>, replyTo: ReplyAddress)
        /// The records database committed (or refused) its part of erasure `id`.
        case recordsErased(id: Int, MoneyResult<RecordsErasure>)
        /// Another node erased this person (its part of the database is done).
        case erasedElsewhere(PersonKey)
    }

    /// One erasure on its way.
    private struct InProgress {
        var call: ErasureCall
        var presence: PresenceErasure
        var records: MoneyResult<RecordsErasure>?
        var snapshot: Result<Void, SnapshotStore.WriteError>?
        let replyTo: ReplyAddress
    }

    unowned let context: LoopContext
    unowned let presence: PresenceService
    private var erasures: [Int: InProgress] = [:]
    private var nextID = 1

    init(context: LoopContext, presence: PresenceService) {
        self.context = context
        self.presence = presence
    }

    func receive(_ message: Message) {
        switch message {
        case .planned(let result, let replyTo):
            replyTo.send(.erasurePreview(result.map(preview)))
        case .recordsErased(let id, let result):
            erasures[id]?.records = result
            finishIfDone(id)
        case .erasedElsewhere(let key):
            _ = presence.hub.erase([key])
            presence.markErrorsChanged()
            rewriteSnapshotWithoutPrevious()
        }
    }

    /// `POST /api/privacy/erase {key}`: the records database names who the key is (through
    /// the links the shop made), presence counts their sessions, and the reply carries a
    /// signed confirmation of exactly those identities. Nothing is erased yet.
    func preview(_ key: PersonKey, replyTo: ReplyAddress) {
        let inbox = context.shared.hubInbox
        presence.money.submit(PlanErasure(key)) { result in inbox.erasures(.planned(result, replyTo: replyTo)) }
    }

    private func preview(_ plan: ErasurePlan) -> ErasurePreview {
        let keys = plan.identities.map(\.key)
        let now = presence.clock.nowMilliseconds
        let confirmation = ErasureConfirmation(identities: keys, expiresAt: now + ErasureConfirmation.lifetime,
                                               nonce: HMAC.hex(HMAC.randomBytes(16)))
        return ErasurePreview(plan: plan, presence: presence.hub.count(matching: keys),
                              confirm: confirmation.signed(secret: context.configuration.secret), expiresAt: confirmation.expiresAt)
    }

    /// `POST /api/privacy/erase {confirm}`: presence first (memory now, the snapshot next),
    /// then the records database.
    func erase(_ call: ErasureCall, replyTo: ReplyAddress) {
        let erased = presence.hub.erase(call.identities)
        presence.markErrorsChanged()
        let id = nextID
        nextID += 1
        erasures[id] = InProgress(call: call, presence: erased, replyTo: replyTo)
        // If one is being written, the next starts when it is done.
        presence.saveSnapshotReplacingPrevious { [unowned self] result in
            erasures[id]?.snapshot = result
            finishIfDone(id)
        }
        let request = ErasureRequest(identities: call.identities, confirmHash: call.confirmHash, pseudonym: call.pseudonym,
                                     keyHashes: call.keyHashes, by: call.by)
        let inbox = context.shared.hubInbox
        presence.money.submit(ErasePerson(request)) { result in inbox.erasures(.recordsErased(id: id, result)) }
    }

    /// An erasure with nobody waiting for it (another node's, or one made while this node
    /// was away): the next snapshot replaces the one before instead of keeping it
    /// (`snapshot.prev` would still hold the person).
    func rewriteSnapshotWithoutPrevious() {
        presence.saveSnapshotReplacingPrevious { _ in }
    }

    private func finishIfDone(_ id: Int) {
        guard let erasure = erasures[id], let records = erasure.records, let snapshot = erasure.snapshot else { return }
        erasures[id] = nil
        erasure.replyTo.send(.erasure(ErasureOutcome(presence: erasure.presence, records: records, snapshot: snapshot,
                                                     pseudonym: erasure.call.pseudonym)))
    }
}

/// `POST /api/privacy/erase`, as checked on the connection's loop.
struct ErasureCall: Sendable {
    /// Exactly what the confirmed preview named, the key asked for first.
    var identities: [PersonKey]
    /// The confirmation's one-time id, hashed.
    var confirmHash: String
    /// A keyed hash of the key (HMAC with the hub's secret): the same person always gets
    /// the same one, and nobody without the secret can tell whose it is.
    var pseudonym: String
    var keyHashes: [String]
    var by: String
}

/// An erasure's preview: who the key is, what would go, and the signed confirmation that
/// names exactly those identities.
struct ErasurePreview: Sendable {
    var plan: ErasurePlan
    /// Sessions and payment errors presence holds of them.
    var presence: (sessions: Int, paymentErrors: Int)
    /// `ErasureConfirmation`, signed with the hub's secret.
    var confirm: String
    var expiresAt: Int64
}

/// An erasure done: what presence, the records database and the snapshot each did.
struct ErasureOutcome: Sendable {
    var presence: PresenceErasure
    var records: MoneyResult<RecordsErasure>
    var snapshot: Result<Void, SnapshotStore.WriteError>
    var pseudonym: String
}
