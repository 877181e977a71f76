import HTTP1
import Hub
import JSON
import Money
import Records

/// A money request on its way from the route to the money engine: a typed operation, and
/// how its typed reply becomes the HTTP answer, made on the caller's loop (`HubClient`
/// sends a loop turn's requests in one batch). A failure becomes its answer in one place
/// (`MoneyFailure.response`).
struct MoneyRequest: Sendable {
    /// One answer: the request's token, and its HTTP answer.
    typealias Answer = (token: UInt64, response: HTTPResponse)

    private let adding: @Sendable (inout MoneyBatch<Answer>, UInt64) -> Void

    init<Operation: MoneyOperation>(_ operation: Operation, answer: @escaping @Sendable (Operation.Reply) -> HTTPResponse) {
        adding = { batch, token in
            batch.add(operation) { result in
                switch result {
                case .success(let reply): return (token, answer(reply))
                case .failure(let failure): return (token, failure.response)
                }
            }
        }
    }

    /// Puts the operation in the loop turn's batch, its answer under `token`.
    func add(to batch: inout MoneyBatch<Answer>, token: UInt64) { adding(&batch, token) }
}

/// The HTTP answers the money routes share.
enum MoneyAnswers {
    /// A payment as it is now.
    @Sendable static func payment(_ payment: Payment) -> HTTPResponse { json(.ok, MoneyMessages.payment(payment)) }

    /// A ledger write's transaction: 201 when this write made it, 200 for a retry.
    static func transaction(metrics: HubMetrics) -> @Sendable (LedgerReply) -> HTTPResponse {
        { reply in
            if reply.created { metrics.ledgerWrite(reply.transaction.kind) }
            return json(reply.created ? .created : .ok, MoneyMessages.transaction(reply.transaction))
        }
    }

    /// The log's entries; when cut by the limit or the answer's byte budget, where the next
    /// page starts (`LiveHub-Next-Before`).
    static func webhookLog(_ entries: [WebhookLogEntry], limit: Int) -> HTTPResponse {
        var response = json(.ok, MoneyMessages.webhookLog(entries))
        let bytes = entries.reduce(0) { $0 + $1.payload.utf8.count + $1.headers.reduce(0) { $0 + $1.utf8.count } }
        if let last = entries.last, entries.count == limit || bytes >= RecordsStore.webhookLogAnswerBytes {
            response.headers.add(name: "LiveHub-Next-Before", value: String(last.id))
        }
        return response
    }

    static func json(_ status: HTTPStatus, _ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body)
    }
}
