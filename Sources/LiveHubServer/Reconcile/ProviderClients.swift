import HTTP1
import HTTPClient
import Hub
import Providers
import Reactor

/// The providers' API clients (`Providers` builds each request and reads each answer) on
/// the reconciler's loop, with the outgoing HTTPS client: verified TLS, a deadline on every
/// question, nothing blocking. A provider without its key is not asked. Keys go only into
/// the requests' headers: no answer, error or log line carries them.
final class ProviderClients {
    private let http: HTTPClient
    private let loop: EventLoop
    let paystack: PaystackAPI?
    let stripe: StripeAPI?
    let nowpayments: NOWPaymentsAPI?
    let mpesa: MPesaAPI?
    /// Daraja's OAuth token and when this loop stops using it (a minute before it expires).
    private var mpesaToken: (token: String, until: UInt64)?
    private let metrics: ReconcileMetrics?
    /// Every question's deadline.
    var deadlineNanoseconds: UInt64 = 10_000_000_000

    init(settings: ProviderAPISettings, paystackSecret: String?, loop: EventLoop, metrics: ReconcileMetrics?) {
        self.loop = loop
        self.metrics = metrics
        http = HTTPClient(loop: loop)
        func url(_ text: String) -> OutgoingURL? { OutgoingURL(text) }
        paystack = paystackSecret.flatMap { secret in url(settings.paystackURL).map { PaystackAPI(baseURL: $0, secret: secret) } }
        stripe = settings.stripeAPIKey.flatMap { key in url(settings.stripeURL).map { StripeAPI(baseURL: $0, apiKey: key) } }
        nowpayments = settings.nowpaymentsAPIKey.flatMap { key in url(settings.nowpaymentsURL).map { NOWPaymentsAPI(baseURL: $0, apiKey: key) } }
        if settings.mpesaConfigured, let base = url(settings.mpesaURL), let key = settings.mpesaConsumerKey, let secret = settings.mpesaConsumerSecret,
           let shortcode = settings.mpesaShortcode, let passkey = settings.mpesaPasskey {
            mpesa = MPesaAPI(baseURL: base, consumerKey: key, consumerSecret: secret, shortcode: shortcode, passkey: passkey)
        } else {
            mpesa = nil
        }
    }

    /// The providers this hub can ask.
    var configured: [String] {
        [("paystack", paystack != nil), ("stripe", stripe != nil), ("nowpayments", nowpayments != nil), ("mpesa", mpesa != nil)]
            .filter(\.1).map(\.0)
    }

    /// Asks the payment's provider about it; `done` gets the answer as a check (an
    /// `.error` one when there was none), on this loop.
    func ask(_ payment: Payment, asker: ProviderCheck.Asker, now: Int64, _ done: @escaping (ProviderCheck) -> Void) {
        let reference = payment.reference
        let started = EventLoop.now
        func finish(_ result: Result<ProviderAnswer, ProviderCallError>) {
            let check = Self.check(result, reference: reference, provider: payment.provider, asker: asker, now: now)
            metrics?.call(provider: payment.provider, outcome: check.outcome.rawValue, seconds: Double(EventLoop.now - started) / 1e9)
            done(check)
        }
        switch payment.provider {
        case "paystack":
            guard let api = paystack else { return finish(.failure(.notConfigured("--paystack-secret is not set"))) }
            send(api.verify(reference: reference), provider: "paystack") { finish($0.flatMap { PaystackAPI.parseVerify(reference: reference, status: $0.statusCode, body: $0.body) }) }
        case "stripe":
            guard let api = stripe else { return finish(.failure(.notConfigured("--stripe-api-key is not set"))) }
            let request = payment.providerReference.map { api.object(id: $0) } ?? api.search(reference: reference)
            send(request, provider: "stripe") { finish($0.flatMap { StripeAPI.parseObject(reference: reference, status: $0.statusCode, body: $0.body) }) }
        case "nowpayments":
            guard let api = nowpayments else { return finish(.failure(.notConfigured("--nowpayments-api-key is not set"))) }
            // NOWPayments is asked by its own payment_id, which its IPN gives (and the shop
            // may send as provider_reference); our order_id alone cannot be looked up.
            guard let id = payment.providerReference else {
                return finish(.failure(.notConfigured("no NOWPayments payment_id is known for this payment yet")))
            }
            send(api.payment(id: id), provider: "nowpayments") { finish($0.flatMap { NOWPaymentsAPI.parsePayment(reference: reference, status: $0.statusCode, body: $0.body) }) }
        case "mpesa":
            guard let api = mpesa else { return finish(.failure(.notConfigured("the M-Pesa consumer key, secret, shortcode and passkey are not all set"))) }
            withMPesaToken(api) { [unowned self] token in
                switch token {
                case .failure(let error): finish(.failure(error))
                case .success(let token):
                    send(api.stkQuery(checkoutRequestID: reference, token: token, now: now), provider: "mpesa") {
                        finish($0.flatMap { MPesaAPI.parseSTKQuery(checkoutRequestID: reference, status: $0.statusCode, body: $0.body) })
                    }
                }
            }
        default:
            finish(.failure(.notConfigured("\(payment.provider) has no API LiveHub asks")))
        }
    }

    /// One question; its answer, or why there was none (no answer at all is `badAnswer`
    /// with the transport's reason, which names no key).
    func send(_ request: OutgoingRequest, provider: String, _ done: @escaping (Result<HTTPClientResponse, ProviderCallError>) -> Void) {
        http.send(request, timeoutNanoseconds: deadlineNanoseconds) { result in
            done(result.mapError { .badAnswer("no answer: \($0)") })
        }
    }

    private func withMPesaToken(_ api: MPesaAPI, _ done: @escaping (Result<String, ProviderCallError>) -> Void) {
        if let held = mpesaToken, held.until > EventLoop.now { return done(.success(held.token)) }
        send(api.token(), provider: "mpesa") { [weak self] result in
            switch result.flatMap({ MPesaAPI.parseToken(status: $0.statusCode, body: $0.body) }) {
            case .failure(let error): done(.failure(error))
            case .success(let token):
                let life = UInt64(max(0, token.expiresInSeconds - 60)) * 1_000_000_000
                self?.mpesaToken = (token.token, EventLoop.now + life)
                done(.success(token.token))
            }
        }
    }

    /// An answer, or its absence, as the check the records keep.
    static func check(_ result: Result<ProviderAnswer, ProviderCallError>, reference: String, provider: String,
                      asker: ProviderCheck.Asker, now: Int64) -> ProviderCheck {
        switch result {
        case .failure(let error):
            return ProviderCheck(reference: reference, provider: provider, askedAt: now, asker: asker, outcome: .error,
                                 detail: String(error.description.prefix(500)))
        case .success(let answer):
            return check(answer, asker: asker, now: now)
        }
    }

    static func check(_ answer: ProviderAnswer, asker: ProviderCheck.Asker, now: Int64) -> ProviderCheck {
        let outcome: ProviderCheck.Outcome
        switch answer.verdict {
        case .paid: outcome = .paid
        case .failed: outcome = .failed
        case .pending: outcome = .pending
        case .notFound: outcome = .notFound
        }
        var check = ProviderCheck(reference: answer.reference, provider: answer.provider, askedAt: now, asker: asker, outcome: outcome,
                                  detail: answer.message, amount: answer.amount, currency: answer.currency,
                                  providerReference: answer.providerReference)
        check.partial = answer.partial
        check.email = answer.email
        return check
    }
}
