// libFuzzer harness for what a payment provider's API answers (built with the Providers
// sources and what they read by scripts/fuzz): the first byte picks the parser (its low
// three bits), the HTTP status (the next three) and a Retry-After header (the top two);
// the rest is the body. No crash on any bytes; an answer that is read keeps the rules of
// ProviderText: the reference asked about, bounded text, no NUL (PostgreSQL's text holds
// none), no control character in a token that goes into a header.

let paystackReference = "rd0bz6z2wu"
let stripeIntentReference = "ORD-1001"
let stripeSessionReference = "ORD-1002"
let nowpaymentsReference = "RGDBP-21314"
let checkoutRequestID = "ws_CO_13012021093521236557"

/// 200 most often: that is where the answers are read field by field.
let statuses = [200, 200, 200, 400, 404, 401, 429, 500]
let retryAfters: [String?] = [nil, "30", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999999999999"]

func fail(_ why: String) -> Never { fatalError("providers: \(why)") }

func checkText(_ text: String?, _ name: String, limit: Int) {
    guard let text else { return }
    if text.utf8.contains(0) { fail("\(name) holds a NUL: \(text.debugDescription)") }
    if text.utf8.count > limit { fail("\(name) is \(text.utf8.count) bytes, over \(limit)") }
}

func check(_ answer: ProviderAnswer, provider: PaymentProvider, asked: String?) {
    if answer.provider != provider.rawValue { fail("answer of \(answer.provider) from the \(provider) parser") }
    if let asked, answer.reference != asked { fail("reference \(answer.reference.debugDescription) is not the one asked, \(asked)") }
    checkText(answer.reference, "reference", limit: 256)
    if answer.reference.isEmpty { fail("an empty reference") }
    if let message = answer.message {
        if message.unicodeScalars.count > 500 { fail("message of \(message.unicodeScalars.count) scalars: \(message.prefix(80).debugDescription)…") }
        checkText(message, "message", limit: 2000)
    }
    checkText(answer.providerReference, "providerReference", limit: 255)
    checkText(answer.email, "email", limit: 320)
    if let currency = answer.currency {
        checkText(currency, "currency", limit: 16)
        if currency.isEmpty || currency != currency.uppercased() { fail("currency \(currency.debugDescription)") }
    }
    if let amount = answer.amount, amount.minorUnits < 0 { fail("a negative amount \(amount.minorUnits)") }
    if answer.partial && provider != .nowpayments { fail("a partial answer from \(provider)") }
    if answer.verdict == .paid, provider == .paystack || provider == .stripe, answer.amount == nil || answer.currency == nil {
        fail("paid without an amount or currency: \(answer)")
    }
    if answer.deliveryKey != "provider_api:\(provider.rawValue):\(answer.reference):\(answer.verdict.rawValue)" {
        fail("delivery key \(answer.deliveryKey)")
    }
    let outcome = answer.outcome
    if outcome.reference != answer.reference || outcome.deliveryKey != answer.deliveryKey || outcome.partial != answer.partial {
        fail("outcome \(outcome) of \(answer)")
    }
}

func check(_ page: ProviderPage, provider: PaymentProvider) {
    for answer in page.answers { check(answer, provider: provider, asked: nil) }
    switch page.next {
    case .page(let number)?: if number < 1 { fail("next page \(number)") }
    case .startingAfter(let id)?:
        checkText(id, "starting_after", limit: 255)
        if id.isEmpty || !id.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) { fail("starting_after \(id.debugDescription)") }
    case nil: break
    }
}

func checkError(_ error: ProviderCallError, status: Int) {
    _ = error.description
    switch error {
    case .notConfigured: fail("notConfigured from a parser")
    case .rateLimited(let seconds):
        if status != 429 { fail("rate limited on \(status)") }
        if let seconds, !(0...86_400).contains(seconds) { fail("Retry-After \(seconds)") }
    case .unauthorized, .unavailable, .badAnswer: break
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count >= 1 else { return 0 }
    let first = data[0]
    let body = Array(UnsafeBufferPointer(start: data + 1, count: count - 1))
    let status = statuses[Int(first >> 3) & 7]
    var headers = HTTPHeaders()
    if let retryAfter = retryAfters[Int(first >> 6)] { headers.add(name: "Retry-After", value: retryAfter) }

    func one(_ result: Result<ProviderAnswer, ProviderCallError>, _ provider: PaymentProvider, asked: String) {
        switch result {
        case .success(let answer): check(answer, provider: provider, asked: asked)
        case .failure(let error): checkError(error, status: status)
        }
    }
    func page(_ result: Result<ProviderPage, ProviderCallError>, _ provider: PaymentProvider) {
        switch result {
        case .success(let page): check(page, provider: provider)
        case .failure(let error): checkError(error, status: status)
        }
    }

    switch first & 7 {
    case 0: one(PaystackAPI.parseVerify(reference: paystackReference, status: status, body: body, headers: headers), .paystack, asked: paystackReference)
    case 1: page(PaystackAPI.parseList(status: status, body: body, headers: headers), .paystack)
    case 2: page(StripeAPI.parseEvents(status: status, body: body, headers: headers), .stripe)
    case 3: one(StripeAPI.parseObject(reference: stripeIntentReference, status: status, body: body, headers: headers), .stripe, asked: stripeIntentReference)
    case 4: one(StripeAPI.parseObject(reference: stripeSessionReference, status: status, body: body, headers: headers), .stripe, asked: stripeSessionReference)
    case 5: one(NOWPaymentsAPI.parsePayment(reference: nowpaymentsReference, status: status, body: body, headers: headers), .nowpayments, asked: nowpaymentsReference)
    case 6: one(MPesaAPI.parseSTKQuery(checkoutRequestID: checkoutRequestID, status: status, body: body, headers: headers), .mpesa, asked: checkoutRequestID)
    default:
        switch MPesaAPI.parseToken(status: status, body: body, headers: headers) {
        case .success(let token):
            checkText(token.token, "access_token", limit: 4096)
            if token.token.isEmpty || !HeaderValue.isSafe(token.token) { fail("a token no header can carry: \(token.token.debugDescription)") }
            if !(1...86_400).contains(token.expiresInSeconds) { fail("expires_in \(token.expiresInSeconds)") }
        case .failure(let error): checkError(error, status: status)
        }
    }
    return 0
}
