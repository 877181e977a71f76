import HTTP1
import Hub
import JSON
import Testing
@testable import Webhooks

/// Each provider's verification and reading, with payloads shaped like the provider's
/// documented examples and signatures computed outside Swift (Python's `hmac`), so a
/// mistake in our HMAC or in what is signed cannot agree with itself.
@Suite("Provider webhooks")
struct WebhooksTests {
    func headers(_ fields: [(String, String)]) -> HTTPHeaders { HTTPHeaders(fields.map { (name: $0.0, value: $0.1) }) }
    func json(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    static let paystackBody = #"{"event":"charge.success","data":{"id":302961,"domain":"live","status":"success","reference":"qTPrJoy9Bx","amount":10000,"gateway_response":"Approved by Financial Institution","currency":"NGN","customer":{"email":"customer@email.com"}}}"#
    static let paystackSignature = "867a38542050cefefe2e1be4822bb970715e57b903de6aa895d40cb5f626113ac9e89db2c54f9b7ebf6b0ff435262add661feb9b838a7e0673ae60b9823228f1"

    @Test func paystackVerifiesTheRawBodyAndReadsTheCharge() throws {
        let paystack = Paystack(secret: "sk_test_secret")
        let body = Array(Self.paystackBody.utf8)
        #expect(paystack.refusal(body: body, headers: headers([("X-Paystack-Signature", Self.paystackSignature)]), pathToken: nil, now: 0) == nil)
        #expect(paystack.refusal(body: body, headers: headers([("x-paystack-signature", Self.paystackSignature.uppercased())]), pathToken: nil, now: 0) == nil)
        #expect(paystack.refusal(body: body + [0x20], headers: headers([("x-paystack-signature", Self.paystackSignature)]), pathToken: nil, now: 0)
                == "x-paystack-signature does not match the body")
        #expect(Paystack(secret: "other").refusal(body: body, headers: headers([("x-paystack-signature", Self.paystackSignature)]), pathToken: nil, now: 0) != nil)
        #expect(paystack.refusal(body: body, headers: headers([]), pathToken: nil, now: 0) == "no x-paystack-signature header")
        #expect(Paystack(secret: nil).refusal(body: body, headers: headers([]), pathToken: nil, now: 0) == "no --paystack-secret is configured")

        let outcome = try Paystack.interpret(try json(Self.paystackBody))
        #expect(outcome.reference == "qTPrJoy9Bx" && outcome.stage == .webhookReceived)
        #expect(outcome.amount == Money(minorUnits: 10000) && outcome.currency == "NGN" && outcome.email == "customer@email.com")
        #expect(outcome.deliveryKey == "paystack:charge.success:302961" && outcome.errorMessage == nil)
        let failed = try Paystack.interpret(try json(#"{"event":"charge.failed","data":{"reference":"r1","gateway_response":"Declined"}}"#))
        #expect(failed.stage == .failed && failed.errorMessage == "Declined")
        #expect(try Paystack.interpret(try json(#"{"event":"transfer.success","data":{"reference":"r1"}}"#)).stage == nil)
        #expect(throws: WebhookPayloadError("data.reference is missing")) { try Paystack.interpret(try json(#"{"event":"charge.success","data":{}}"#)) }
    }

    static let nowpaymentsBody = #"{"payment_id":5077125051,"payment_status":"finished","pay_address":"0xd1cDE08A07cD25adEbEd35c3867a59228C09B606","price_amount":170,"price_currency":"usd","pay_amount":155.38559757,"actually_paid":180,"pay_currency":"mana","order_id":"2","order_description":"Apple Macbook Pro 2019 x 1","purchase_id":"6084744717","created_at":"2021-04-12T14:22:54.942Z","updated_at":"2021-04-12T14:23:06.244Z","outcome_amount":1131.7812095,"outcome_currency":"trx"}"#
    static let nowpaymentsSignature = "19b0f02a59bda2030bcd6320895c380445fce26e20b977fc189902bf435d626858be3a050824b684f6f3363c82532b68eda6f06ecef40b6c0c088af5f8c9f8ed"

    @Test func nowpaymentsSignsTheBodyWithItsKeysSorted() throws {
        let verifier = NOWPayments(secret: "ipn_secret")
        let signed = headers([("x-nowpayments-sig", Self.nowpaymentsSignature)])
        #expect(verifier.refusal(body: Array(Self.nowpaymentsBody.utf8), headers: signed, pathToken: nil, now: 0) == nil)
        // The same members with other spacing sign the same; another value does not.
        let spaced = Self.nowpaymentsBody.replacingComma()
        #expect(verifier.refusal(body: Array(spaced.utf8), headers: signed, pathToken: nil, now: 0) == nil)
        let changed = Self.nowpaymentsBody.replacing(#""price_amount":170"#, with: #""price_amount":171"#)
        #expect(verifier.refusal(body: Array(changed.utf8), headers: signed, pathToken: nil, now: 0) == "x-nowpayments-sig does not match the body")
        #expect(verifier.refusal(body: Array("not json".utf8), headers: signed, pathToken: nil, now: 0) == "the body is not JSON")

        let outcome = try NOWPayments.interpret(try json(Self.nowpaymentsBody))
        #expect(outcome.reference == "2" && outcome.stage == .webhookReceived && outcome.amount == Money(decimal: "170"))
        #expect(outcome.currency == "USD" && outcome.deliveryKey == "nowpayments:5077125051:finished" && outcome.providerReference == "5077125051")
        let waiting = try NOWPayments.interpret(try json(#"{"order_id":"2","payment_status":"confirming"}"#))
        #expect(waiting.stage == nil)
        let expired = try NOWPayments.interpret(try json(#"{"order_id":"2","payment_status":"expired"}"#))
        #expect(expired.stage == .failed && expired.errorMessage == "NOWPayments status expired")
    }

    static let stripeBody = #"{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"checkout.session.completed","data":{"object":{"id":"cs_test_a1","object":"checkout.session","amount_total":2000,"currency":"usd","client_reference_id":"order-77","customer_details":{"email":"jenny@example.com"}}}}"#
    static let stripeSignature = "0db91617838a84abd4bbfb53b608b753ca92867f32c262f984b0ff2ddea6a2b0"

    @Test func stripeChecksAnyV1AndTheTimestampsTolerance() throws {
        let stripe = Stripe(secret: "whsec_test")
        let body = Array(Self.stripeBody.utf8)
        func refusal(_ header: String, now: Int64 = 1_700_000_100) -> String? {
            stripe.refusal(body: body, headers: headers([("Stripe-Signature", header)]), pathToken: nil, now: now)
        }
        #expect(refusal("t=1700000000,v1=\(Self.stripeSignature)") == nil)
        #expect(refusal("t=1700000000,v1=00ff,v1=\(Self.stripeSignature),v0=abc") == nil)  // a rolled secret: any v1
        #expect(refusal("t=1700000000,v1=00ff") == "Stripe-Signature does not match the body")
        #expect(refusal("t=1700000001,v1=\(Self.stripeSignature)") == "Stripe-Signature does not match the body")
        #expect(refusal("t=1700000000,v1=\(Self.stripeSignature)", now: 1_700_000_301) == "Stripe-Signature timestamp is outside the 300 s tolerance")
        #expect(refusal("v1=\(Self.stripeSignature)") == "Stripe-Signature has no timestamp")
        #expect(refusal("t=1700000000") == "Stripe-Signature has no v1 signature")

        let outcome = try Stripe.interpret(try json(Self.stripeBody))
        #expect(outcome.reference == "order-77" && outcome.stage == .webhookReceived && outcome.amount == Money(minorUnits: 2000))
        #expect(outcome.email == "jenny@example.com" && outcome.deliveryKey == "stripe:evt_1NG8Du2eZvKYlo2CUI79vXWy")
        let byMetadata = try Stripe.interpret(try json(#"{"id":"evt_2","type":"payment_intent.payment_failed","data":{"object":{"amount":500,"metadata":{"reference":"order-78"}}}}"#))
        #expect(byMetadata.reference == "order-78" && byMetadata.stage == .failed && byMetadata.errorMessage == "Stripe payment_intent.payment_failed")
        #expect(throws: WebhookPayloadError("data.object has neither client_reference_id nor metadata.reference")) {
            try Stripe.interpret(try json(#"{"id":"evt_3","type":"charge.succeeded","data":{"object":{}}}"#))
        }
    }

    @Test func mpesaTrustsOnlyItsPathTokenAndReadsTheSTKCallback() throws {
        let mpesa = MPesa(token: "tok-123")
        #expect(mpesa.refusal(body: [], headers: headers([]), pathToken: "tok-123", now: 0) == nil)
        #expect(mpesa.refusal(body: [], headers: headers([]), pathToken: "tok-124", now: 0) == "the path token is not the configured one")
        #expect(mpesa.refusal(body: [], headers: headers([]), pathToken: nil, now: 0) == "the path token is not the configured one")
        #expect(MPesa(token: "").refusal(body: [], headers: headers([]), pathToken: "", now: 0) == "no --mpesa-token is configured")

        let paid = try MPesa.interpret(try json(#"{"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"ws_CO_191220191020363925","ResultCode":0,"ResultDesc":"The service request is processed successfully.","CallbackMetadata":{"Item":[{"Name":"Amount","Value":1.00},{"Name":"MpesaReceiptNumber","Value":"NLJ7RT61SV"},{"Name":"TransactionDate","Value":20191219102115},{"Name":"PhoneNumber","Value":254708374149}]}}}}"#))
        #expect(paid.reference == "ws_CO_191220191020363925" && paid.stage == .webhookReceived)
        #expect(paid.amount == Money(decimal: "1.00") && paid.currency == "KES" && paid.deliveryKey == "mpesa:ws_CO_191220191020363925")
        let cancelled = try MPesa.interpret(try json(#"{"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"ws_CO_1","ResultCode":1032,"ResultDesc":"Request cancelled by user"}}}"#))
        #expect(cancelled.stage == .failed && cancelled.errorMessage == "Request cancelled by user" && cancelled.amount == nil)
    }

    @Test func everyProviderHasItsVerifierAndOnlyMPesaAPathToken() {
        let verifiers = WebhookVerifiers(paystackSecret: "a", nowpaymentsSecret: "b", stripeSecret: "c", mpesaToken: "d")
        for provider in PaymentProvider.allCases {
            #expect(type(of: verifiers[provider]).provider == provider)
            #expect(provider.takesPathToken == (provider == .mpesa))
        }
        #expect(PaymentProvider(rawValue: "paypal") == nil)
    }
}

private extension String {
    /// The JSON with a space after every comma between members (same members, other bytes).
    func replacingComma() -> String { replacing(#"",""#, with: #"", ""#).replacing(#"0,""#, with: #"0, ""#) }
}
