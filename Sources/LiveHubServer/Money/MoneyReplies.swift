import HTTP1
import Hub
import JSON
import Records

/// The money API between the router and the money engine: each money request becomes an
/// engine command, and the engine's typed answer becomes the HTTP answer on the caller's
/// loop. Errors become statuses here and in `APIError`, nowhere else.
struct MoneyRequest {
    let command: MoneyCommand
    let answer: (MoneyReply) -> HTTPResponse

    init(_ call: MoneyCall, metrics: HubMetrics) {
        switch call {
        case .ledger(let r):
            self.command = .ledger(LedgerEntry(userId: r.userId, amount: r.amount, kind: r.kind, description: r.description,
                                               service: r.service, reference: r.reference, paymentReference: r.paymentReference))
            answer = { reply in
                guard case .transaction(let t, let created) = reply else { return Self.failure(reply) }
                if created { metrics.ledgerWrite(t.kind) }
                return Self.json(created ? .created : .ok, MoneyMessages.transaction(t))
            }
        case .transactions(let query):
            self.command = .transactions(query)
            answer = { reply in
                guard case .transactions(let list) = reply else { return Self.failure(reply) }
                return Self.json(.ok, MoneyMessages.transactions(list))
            }
        case .transaction(let query):
            self.command = .transactions(query)
            answer = { reply in
                guard case .transactions(let list) = reply else { return Self.failure(reply) }
                guard let t = list.first else {
                    return APIError(.notFound, code: "not_found", message: "no such transaction of yours").response
                }
                return Self.json(.ok, MoneyMessages.transaction(t))
            }
        case .balance(let userId):
            self.command = .balance(userId: userId)
            answer = { reply in
                guard case .balance(let user, let balance) = reply else { return Self.failure(reply) }
                var json = JSONWriter()
                json.beginObject()
                json.field("user_id", user)
                json.key("balance"); json.raw(balance.description)
                json.endObject()
                return Self.json(.ok, json.bytes)
            }
        case .monitor(let minutes):
            self.command = .monitor(window: Int64(minutes) * 60_000)
            answer = { reply in
                guard case .monitor(let summary) = reply else { return Self.failure(reply) }
                return Self.json(.ok, MoneyMessages.monitor(summary, minutes: minutes))
            }
        case .paymentEvent(let r):
            self.command = .paymentEvent(r.event)
            answer = { reply in
                guard case .payment(let p) = reply else { return Self.failure(reply) }
                metrics.paymentEvent(r.event.stage)
                return Self.json(.ok, MoneyMessages.payment(p))
            }
        case .payments(let query):
            self.command = .payments(query)
            answer = Self.payments
        case .paymentStats(let window, let currency):
            self.command = .paymentStats(window: window)
            answer = { reply in
                guard case .paymentStats(let stats) = reply else { return Self.failure(reply) }
                return Self.json(.ok, MoneyMessages.paymentStats(stats, shopCurrency: currency))
            }
        case .paymentGaps:
            self.command = .openProblems
            answer = Self.payments
        case .resolvePayment(let reference, let note, let by):
            self.command = .resolvePayment(reference: reference, note: note, by: by)
            answer = { reply in
                guard case .payment(let p) = reply else { return Self.failure(reply) }
                return Self.json(.ok, MoneyMessages.payment(p))
            }
        case .creditPayment(let credit):
            self.command = .creditPayment(credit)
            answer = { reply in
                guard case .transaction(let t, let created) = reply else { return Self.failure(reply) }
                if created { metrics.ledgerWrite(t.kind) }
                return Self.json(created ? .created : .ok, MoneyMessages.transaction(t))
            }
        case .activity(let r):
            self.command = .activity(ActivityEvent(id: 0, userId: r.userId, email: r.email, action: r.action, status: r.status,
                                                   details: r.details, errorMessage: r.errorMessage, createdAt: 0))
            answer = { reply in
                guard case .activityRecorded(let event) = reply else { return Self.failure(reply) }
                return Self.json(.created, MoneyMessages.activity([event], single: true))
            }
        case .journey(let userId, let email):
            self.command = .journey(userId: userId, email: email)
            answer = { reply in
                guard case .activity(let events) = reply else { return Self.failure(reply) }
                return Self.json(.ok, MoneyMessages.activity(events))
            }
        case .alerts(let limit):
            self.command = .alerts(limit: limit)
            answer = { reply in
                guard case .alerts(let rows) = reply else { return Self.failure(reply) }
                var json = JSONWriter()
                json.beginArray()
                for row in rows { json.raw(String(decoding: MoneyMessages.alert(row.alert, delivery: row.delivery), as: UTF8.self)) }
                json.endArray()
                return Self.json(.ok, json.bytes)
            }
        case .webhook(let delivery):
            (self.command, answer) = Self.webhook(delivery, metrics: metrics)
        case .webhookLog(let provider, let reference, let limit, let before):
            self.command = .webhookLog(provider: provider, reference: reference, limit: limit, before: before)
            answer = { reply in
                guard case .webhookLog(let entries) = reply else { return Self.failure(reply) }
                var response = Self.json(.ok, MoneyMessages.webhookLog(entries))
                // Cut by the limit or the answer's byte budget: where the next page starts.
                let bytes = entries.reduce(0) { $0 + $1.payload.utf8.count + $1.headers.reduce(0) { $0 + $1.utf8.count } }
                if let last = entries.last, entries.count == limit || bytes >= RecordsStore.webhookLogAnswerBytes {
                    response.headers.add(name: "LiveHub-Next-Before", value: String(last.id))
                }
                return response
            }
        }
    }

    /// Every delivery is logged; a verified, new one is applied to its payment. The
    /// provider's answer says what happened (a refused one gets its error once logged).
    private static func webhook(_ delivery: WebhookDelivery, metrics: HubMetrics) -> (MoneyCommand, (MoneyReply) -> HTTPResponse) {
        var entry = WebhookLogEntry(id: 0, provider: delivery.provider.rawValue, receivedAt: 0, signatureValid: delivery.signatureValid,
                                    status: .rejected, errorMessage: delivery.rejection, reference: nil, payload: delivery.payload,
                                    headers: delivery.headers, deliveryKey: nil)
        var meaning: WebhookOutcome?
        var refusal: APIError?
        switch delivery.outcome {
        case nil:
            entry.reference = delivery.claimedReference  // unverified: signature_valid is false
            entry.truncateUnverified()
            refusal = APIError(.unauthorized, code: "invalid_signature", message: delivery.rejection ?? "the signature does not verify")
        case .failure(let error)?:
            entry.status = .failed
            entry.errorMessage = error.message
            refusal = error
        case .success(let value)?:
            meaning = value
        }
        return (.webhook(entry, meaning: meaning), { reply in
            guard case .webhook(let logged, let status, let unmatched) = reply else { return failure(reply) }
            metrics.webhookDelivery(provider: logged.provider, status: logged.status)
            if !logged.stored { metrics.webhookNotStored(provider: logged.provider) }
            if let refusal { return refusal.response }
            let reference = JSONWriter.quoted(logged.reference ?? "")
            if logged.status == .duplicate {
                return json(.ok, Array("{\"ok\":true,\"duplicate\":true,\"reference\":\(reference)}".utf8))
            }
            return json(.ok, Array("{\"ok\":true,\"duplicate\":false,\"unmatched\":\(unmatched),\"reference\":\(reference),\"status\":\(JSONWriter.quoted(status?.rawValue))}".utf8))
        })
    }

    private static func payments(_ reply: MoneyReply) -> HTTPResponse {
        guard case .payments(let list) = reply else { return failure(reply) }
        return json(.ok, MoneyMessages.payments(list))
    }

    /// A refusal or an unavailable database as its error; any other answer here is a
    /// reply to the wrong request, which the engine never gives.
    static func failure(_ reply: MoneyReply) -> HTTPResponse {
        switch reply {
        case .refused(.unknownPayment(let reference)):
            return APIError(.notFound, code: "unknown_payment", message: "no payment with reference \(reference); nothing was recorded").response
        case .refused(.balanceOutOfRange):
            return APIError(.unprocessableContent, code: "balance_out_of_range",
                            message: "the balance would go beyond ±\(Money.limit); nothing was recorded").response
        case .refused(.referenceConflict(let original)):
            var error = APIError(.conflict, code: "reference_conflict",
                                 message: "reference \(original.reference) was used for another user, amount or type; nothing was recorded")
            error.detail = ("transaction", MoneyMessages.transaction(original))
            return error.response
        case .refused(.noSuchPayment(let reference)):
            return APIError(.notFound, code: "not_found", message: "no payment with reference \(reference)").response
        case .refused(.paymentNotCreditable(let reason)):
            return APIError(.conflict, code: "not_creditable", message: reason + "; nothing was recorded").response
        case .cancelled:
            return APIError(.serviceUnavailable, code: "read_deadline",
                            message: "the read ran past its deadline and was stopped; ask for less (a shorter window, a filter, a lower limit)").response
        case .busy:
            var error = APIError(.serviceUnavailable, code: "busy", message: "too many reads are waiting; try again in a moment")
            error.headers.add(name: "Retry-After", value: "1")
            return error.response
        case .unavailable:
            return APIError(.serviceUnavailable, code: "database_unavailable",
                            message: "the records database cannot take or give this now; nothing was changed. Try again.").response
        default:
            return APIError(.internalServerError, code: "internal", message: "the money engine answered another request").response
        }
    }

    static func json(_ status: HTTPStatus, _ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body)
    }
}
