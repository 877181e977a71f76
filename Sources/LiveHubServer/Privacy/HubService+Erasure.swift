import Auth
import Hub
import Money
import Reactor
import Records

/// One erasure on its way: presence is done at once; it is answered once the records
/// database has committed its part and a snapshot without the person is on disk (so a
/// restart cannot bring them back).
struct ErasureInProgress {
    var call: ErasureCall
    var presence: PresenceErasure
    var records: MoneyResult<RecordsErasure>?
    var snapshot: Result<Void, SnapshotStore.WriteError>?
    let replyTo: ReplyAddress
}

extension HubService {
    /// `POST /api/privacy/erase {key}`: the records database names who the key is (through
    /// the links the shop made), presence counts their sessions, and the reply carries a
    /// signed confirmation of exactly those identities. Nothing is erased yet.
    func previewErasure(_ key: PersonKey, replyTo: ReplyAddress) {
        let hubLoop = context.loop.handle, contexts = context.shared.contexts
        money.submit(PlanErasure(key)) { result in
            hubLoop.execute { loop in
                guard let service = contexts[loop]?.hubService else { return }
                replyTo.send(.erasurePreview(result.map(service.erasurePreview)))
            }
        }
    }

    private func erasurePreview(_ plan: ErasurePlan) -> ErasurePreview {
        let keys = plan.identities.map(\.key)
        let now = clock.nowMilliseconds
        let confirmation = ErasureConfirmation(identities: keys, expiresAt: now + ErasureConfirmation.lifetime,
                                               nonce: HMAC.hex(HMAC.randomBytes(16)))
        return ErasurePreview(plan: plan, presence: hub.count(matching: keys), confirm: confirmation.signed(secret: context.configuration.secret),
                              expiresAt: confirmation.expiresAt)
    }

    func startErasure(_ call: ErasureCall, replyTo: ReplyAddress) {
        let presence = hub.erase(call.identities)
        markErrorsChanged()
        let id = nextErasureID
        nextErasureID += 1
        erasures[id] = ErasureInProgress(call: call, presence: presence, replyTo: replyTo)
        erasuresAwaitingSnapshot.append(id)
        saveSnapshot()  // if one is being written, the next starts when it is done
        let request = ErasureRequest(identities: call.identities, confirmHash: call.confirmHash, pseudonym: call.pseudonym,
                                     keyHashes: call.keyHashes, by: call.by)
        let hubLoop = context.loop.handle, contexts = context.shared.contexts
        money.submit(ErasePerson(request)) { result in
            hubLoop.execute { loop in
                guard let service = contexts[loop]?.hubService else { return }
                service.erasures[id]?.records = result
                service.finishErasureIfDone(id)
            }
        }
    }

    /// Cluster mode: another node erased this person (its part of the database is done):
    /// what this node holds of them goes from memory now and from its snapshot next.
    func eraseFromElsewhere(_ key: PersonKey) {
        _ = hub.erase([key])
        markErrorsChanged()
        rewriteSnapshotWithoutPrevious()
    }

    /// An erasure with nobody waiting for it: the next snapshot replaces the one before
    /// instead of keeping it (`snapshot.prev` would still hold the person).
    func rewriteSnapshotWithoutPrevious() {
        erasuresAwaitingSnapshot.append(nextErasureID)
        nextErasureID += 1
        saveSnapshot()
    }

    func erasureSnapshotWritten(_ id: Int, _ result: Result<Void, SnapshotStore.WriteError>) {
        erasures[id]?.snapshot = result
        finishErasureIfDone(id)
    }

    private func finishErasureIfDone(_ id: Int) {
        guard let erasure = erasures[id], let records = erasure.records, let snapshot = erasure.snapshot else { return }
        erasures[id] = nil
        erasure.replyTo.send(.erasure(ErasureOutcome(presence: erasure.presence, records: records, snapshot: snapshot,
                                                     pseudonym: erasure.call.pseudonym)))
    }
}
