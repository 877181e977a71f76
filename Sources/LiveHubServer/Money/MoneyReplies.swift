import HTTP1
import Hub
import JSON
import Money
import Records

/// A money request on its way from the router to the money engine: a typed operation, and
/// how its typed reply becomes the HTTP answer, made on the caller's loop. A failure
/// becomes its answer in one place (`MoneyFailure.response`).
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

    init(_ call: MoneyCall, metrics: HubMetrics) {
        switch call {
        case .ledger(let r):
            self.init(WriteLedger(LedgerEntry(userId: r.userId, amount: r.amount, kind: r.kind, description: r.description,
                                              service: r.service, reference: r.reference, paymentReference: r.paymentReference)),
                      answer: MoneyAnswers.transaction(metrics: metrics))
        case .transactions(let query):
            self.init(ReadTransactions(query)) { list in MoneyAnswers.json(.ok, MoneyMessages.transactions(list)) }
        case .transaction(let query):
            self.init(ReadTransactions(query)) { list in
                guard let t = list.first else { return APIError(.notFound, code: "not_found", message: "no such transaction of yours").response }
                return MoneyAnswers.json(.ok, MoneyMessages.transaction(t))
            }
        case .balance(let userId):
            self.init(ReadBalance(userId: userId)) { balance in MoneyAnswers.json(.ok, MoneyMessages.walletBalance(userId: userId, balance)) }
        case .monitor(let minutes):
            self.init(ReadMonitor(window: Int64(minutes) * 60_000)) { summary in MoneyAnswers.json(.ok, MoneyMessages.monitor(summary, minutes: minutes)) }
        case .paymentEvent(let r):
            self.init(RecordPaymentEvent(r.event)) { payment in
                metrics.paymentEvent(r.event.stage)
                return MoneyAnswers.json(.ok, MoneyMessages.payment(payment))
            }
        case .payments(let query):
            self.init(ReadPayments(query)) { list in MoneyAnswers.json(.ok, MoneyMessages.payments(list)) }
        case .paymentStats(let window, let currency):
            self.init(ReadPaymentStats(window: window)) { stats in MoneyAnswers.json(.ok, MoneyMessages.paymentStats(stats, shopCurrency: currency)) }
        case .paymentGaps:
            self.init(ReadOpenProblems()) { list in MoneyAnswers.json(.ok, MoneyMessages.payments(list)) }
        case .resolvePayment(let reference, let note, let by):
            self.init(ResolvePayment(reference: reference, note: note, by: by)) { payment in MoneyAnswers.json(.ok, MoneyMessages.payment(payment)) }
        case .creditPayment(let credit):
            self.init(credit, answer: MoneyAnswers.transaction(metrics: metrics))
        case .activity(let r):
            self.init(RecordActivity(ActivityEvent(id: 0, userId: r.userId, email: r.email, action: r.action, status: r.status,
                                                   details: r.details, errorMessage: r.errorMessage, createdAt: 0))) { event in
                MoneyAnswers.json(.created, MoneyMessages.activity([event], single: true))
            }
        case .journey(let userId, let email):
            self.init(ReadJourney(userId: userId, email: email)) { events in MoneyAnswers.json(.ok, MoneyMessages.activity(events)) }
        case .alerts(let limit):
            self.init(ReadAlerts(limit: limit)) { rows in MoneyAnswers.json(.ok, MoneyMessages.alerts(rows)) }
        case .webhook(let delivery):
            self.init(delivery.operation, answer: delivery.answer(metrics: metrics))
        case .webhookLog(let provider, let reference, let limit, let before):
            self.init(ReadWebhookLog(provider: provider, reference: reference, limit: limit, before: before)) { entries in
                MoneyAnswers.webhookLog(entries, limit: limit)
            }
        }
    }
}

/// The HTTP answers the money routes share.
enum MoneyAnswers {
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
