import Auth
import HTTP1
import Hub
import JSON
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
    let token: UInt64
    let origin: EventLoopHandle
}

extension HubService {
    /// `POST /api/privacy/erase {key}`: the records database names who the key is (through
    /// the links the shop made), presence counts their sessions, and the answer carries a
    /// signed confirmation of exactly those identities. Nothing is erased yet.
    func previewErasure(_ key: PersonKey, token: UInt64, to origin: EventLoopHandle) {
        let hubLoop = context.loop.handle, contexts = context.shared.contexts
        money.submit(PlanErasure(key)) { result in
            hubLoop.execute { loop in
                guard let service = contexts[loop]?.hubService else { return }
                let response: HTTPResponse
                switch result {
                case .success(let plan): response = service.erasurePreviewAnswer(plan)
                case .failure(let failure): response = failure.response
                }
                origin.execute { loop in contexts[loop]?.hubClient.deliver([(token, response)]) }
            }
        }
    }

    private func erasurePreviewAnswer(_ plan: ErasurePlan) -> HTTPResponse {
        let keys = plan.identities.map(\.key)
        let presence = hub.count(matching: keys)
        let now = clock.nowMilliseconds
        let confirmation = ErasureConfirmation(identities: keys, expiresAt: now + ErasureConfirmation.lifetime,
                                               nonce: HMAC.hex(HMAC.randomBytes(16)))
        var json = JSONWriter()
        json.beginObject()
        json.key("preview")
        json.beginObject()
        json.key("identities")
        json.beginArray()
        for identity in plan.identities {
            json.beginObject()
            json.field("kind", identity.key.kind)
            json.field("value", identity.key.value)
            json.field("source", identity.source)
            json.endObject()
        }
        json.endArray()
        json.key("counts")
        json.beginObject()
        json.field("sessions", presence.sessions)
        json.field("payment_errors", presence.paymentErrors + plan.rows.paymentErrors)
        json.field("activity", plan.rows.activity)
        json.field("webhook_payloads", plan.rows.webhookDeliveries)
        json.field("payments", plan.rows.payments)
        json.field("transactions", plan.rows.transactions)
        json.field("alerts", plan.rows.alerts)
        json.endObject()
        json.endObject()
        json.field("confirm", confirmation.signed(secret: context.configuration.secret))
        json.field("expires_at", Timestamp.iso8601(milliseconds: confirmation.expiresAt))
        json.endObject()
        return MoneyAnswers.json(.ok, json.bytes)
    }

    func startErasure(_ call: ErasureCall, token: UInt64, to origin: EventLoopHandle) {
        let presence = hub.erase(call.identities)
        markErrorsChanged()
        let id = nextErasureID
        nextErasureID += 1
        erasures[id] = ErasureInProgress(call: call, presence: presence, token: token, origin: origin)
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
        let response = Self.erasureAnswer(erasure.presence, records, snapshot, pseudonym: erasure.call.pseudonym)
        let contexts = context.shared.contexts
        erasure.origin.execute { loop in
            contexts[loop]?.hubClient.deliver([(erasure.token, response)])
        }
    }

    /// `{"erased": {…}, "pseudonymised": {…}, "pseudonym"}`; 503 when the database or the
    /// snapshot could not take it (what was done stays done; the call can be repeated).
    static func erasureAnswer(_ presence: PresenceErasure, _ records: MoneyResult<RecordsErasure>, _ snapshot: Result<Void, SnapshotStore.WriteError>,
                              pseudonym: String) -> HTTPResponse {
        let rows: RecordsErasure
        switch records {
        case .success(let erased): rows = erased
        case .failure(let failure): return failure.response
        }
        if case .failure(let error) = snapshot {
            return APIError(.serviceUnavailable, code: "snapshot_unwritten",
                            message: "erased from memory and the database, but the snapshot could not be rewritten (\(error)); call again").response
        }
        var json = JSONWriter()
        json.beginObject()
        json.key("erased")
        json.beginObject()
        json.field("sessions", presence.sessions)
        json.field("payment_errors", presence.paymentErrors + rows.paymentErrors)
        json.field("activity", rows.activity)
        json.field("webhook_payloads", rows.webhookDeliveries)
        json.endObject()
        json.key("pseudonymised")
        json.beginObject()
        json.field("payments", rows.payments)
        json.field("transactions", rows.transactions)
        json.field("alerts", rows.alerts)
        json.endObject()
        json.field("pseudonym", pseudonym)
        json.endObject()
        return MoneyAnswers.json(.ok, json.bytes)
    }
}
