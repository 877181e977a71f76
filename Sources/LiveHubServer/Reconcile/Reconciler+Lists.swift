import HTTP1
import HTTPClient
import Hub
import Money
import Providers
import Reactor

/// What the providers have and we do not: their lists of the last day read page by page
/// (Paystack's successful transactions, Stripe's events whose webhook was never
/// delivered), each entry applied as an answer; only entries that moved a payment (money
/// for a reference we never saw → `unmatched`, an undelivered confirmation → paid) are
/// kept. Pages count against the provider's questions this minute; at most `maxPages`.
extension Reconciler {
    static let maxPages = 20
    static let listWindow: Int64 = 86_400_000

    func listPass() {
        let now = clock.nowMilliseconds
        if clients.paystack != nil { listPage(provider: "paystack", cursor: nil, now: now, pages: 0) }
        if clients.stripe != nil { listPage(provider: "stripe", cursor: nil, now: now, pages: 0) }
    }

    private func listPage(provider: String, cursor: ProviderCursor?, now: Int64, pages: Int) {
        guard pages < Self.maxPages, takeQuestion(provider) else { return }
        let request: OutgoingRequestAndReader
        switch provider {
        case "paystack":
            guard let api = clients.paystack else { return }
            var page = 1
            if case .page(let number)? = cursor { page = number }
            request = (api.listSuccessful(from: now - Self.listWindow, to: now, page: page),
                       { (response: HTTPClientResponse) in PaystackAPI.parseList(status: response.statusCode, body: response.body, headers: response.headers) })
        case "stripe":
            guard let api = clients.stripe else { return }
            var after: String?
            if case .startingAfter(let id)? = cursor { after = id }
            request = (api.undeliveredEvents(createdAfter: now - Self.listWindow, startingAfter: after),
                       { (response: HTTPClientResponse) in StripeAPI.parseEvents(status: response.statusCode, body: response.body, headers: response.headers) })
        default:
            return
        }
        let started = EventLoop.now
        clients.send(request.0, provider: provider) { [unowned self] response in
            let page: Result<ProviderPage, ProviderCallError> = response.flatMap(request.1)
            metrics.call(provider: provider, outcome: (try? page.get()) == nil ? "error" : "listed", seconds: Double(EventLoop.now - started) / 1e9)
            guard case .success(let found) = page else {
                if case .failure(let error) = page {
                    Self.logger.warning("a provider's list was not read", metadata: ["provider": "\(provider)", "error": "\(error)"])
                }
                return
            }
            let metrics = self.metrics
            for answer in found.answers {
                let check = ProviderClients.check(answer, asker: .listing, now: clock.nowMilliseconds)
                money.submit(RecordProviderCheck(check, onlyIfMoved: true)) { result in
                    if case .success(let reply) = result, let moved = reply.check.moved { metrics.moved(moved) }
                }
            }
            if let next = found.next { listPage(provider: provider, cursor: next, now: now, pages: pages + 1) }
        }
    }
}

typealias OutgoingRequestAndReader = (OutgoingRequest, (HTTPClientResponse) -> Result<ProviderPage, ProviderCallError>)
