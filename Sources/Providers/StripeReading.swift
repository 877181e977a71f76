import Hub
import JSON
import Webhooks

/// What Stripe's objects and events say about a payment: the fields read as the webhook
/// reads them (`StripeObjectReading`), the verdict from the object's status or the event's
/// kind. nil: the object names no reference of ours (a payment the hub did not start).
enum StripeReading {
    /// A PaymentIntent or a Checkout Session, as "Retrieve" and "Search" answer them.
    ///
    /// PaymentIntent `status` ("The PaymentIntent object"; docs.stripe.com/payments/paymentintents/lifecycle):
    /// succeeded is paid; canceled is failed; requires_payment_method after an attempt
    /// (`last_payment_error` set) is failed, as the webhook's `payment_intent.payment_failed`
    /// is; requires_payment_method before any, requires_confirmation, requires_action,
    /// processing and requires_capture are pending.
    ///
    /// Checkout Session ("The Checkout Session object"): `status` complete with
    /// `payment_status` paid or no_payment_required is paid; complete and unpaid is a
    /// delayed payment method still on its way (pending); expired is failed; open is pending.
    static func object(_ object: JSONValue) throws(ProviderCallError) -> ProviderAnswer? {
        guard case .object = object else { throw .badAnswer("a Stripe object is not an object") }
        let kind = object["object"]?.stringValue
        guard kind == "payment_intent" || kind == "checkout.session" else {
            throw .badAnswer("the object is neither a PaymentIntent nor a Checkout Session")
        }
        let status = try AnswerReading.text(object["status"], "status", limit: 64)
        let verdict: ProviderAnswer.Verdict
        var message: String?
        if kind == "payment_intent" {
            let error = object["last_payment_error"].flatMap { $0 == .null ? nil : $0 }
            message = ProviderText.message(error?["message"])
            switch status {
            case "succeeded": verdict = .paid
            case "canceled":
                verdict = .failed
                let reason = ProviderText.kept(object["cancellation_reason"], limit: 64)
                message = message ?? "Stripe: the PaymentIntent was canceled" + (reason.map { " (\($0))" } ?? "")
            case "requires_payment_method" where error != nil:
                verdict = .failed
                message = message ?? "Stripe: the payment attempt failed"
            default: verdict = .pending
            }
        } else {
            switch (status, object["payment_status"]?.stringValue) {
            case ("complete", "paid"), ("complete", "no_payment_required"): verdict = .paid
            case ("expired", _):
                verdict = .failed
                message = "Stripe: the Checkout Session expired"
            default: verdict = .pending
            }
        }
        return try answer(object, isPaymentIntent: kind == "payment_intent", verdict: verdict, message: message)
    }

    /// One event of "List all events", read by its `type` as the webhook reads it, and:
    /// `checkout.session.async_payment_succeeded` is paid and `…async_payment_failed` failed
    /// (the money of a delayed payment method, "Fulfill orders": docs.stripe.com/checkout/fulfillment);
    /// `checkout.session.completed` with `payment_status` unpaid is pending, that money
    /// being still on its way. Other kinds are nil.
    static func event(_ event: JSONValue) throws(ProviderCallError) -> ProviderAnswer? {
        let type = try AnswerReading.text(event["type"], "an event's type", limit: 128)
        guard let object = event["data"]?["object"], case .object = object else { throw .badAnswer("an event's data.object is not an object") }
        let verdict: ProviderAnswer.Verdict
        switch type {
        case "payment_intent.succeeded", "checkout.session.async_payment_succeeded", "charge.succeeded": verdict = .paid
        case "checkout.session.completed": verdict = object["payment_status"]?.stringValue == "unpaid" ? .pending : .paid
        case "payment_intent.payment_failed", "checkout.session.async_payment_failed", "checkout.session.expired", "charge.failed":
            verdict = .failed
        default: return nil
        }
        let message = verdict == .failed ? ProviderText.message(object["last_payment_error"]?["message"]) ?? "Stripe \(type)" : nil
        return try answer(object, isPaymentIntent: type.hasPrefix("payment_intent."), verdict: verdict, message: message)
    }

    /// The answer from the object's fields; an amount that is there but not an integer of
    /// minor units refuses the answer, and a paid one must say its amount and currency.
    private static func answer(_ object: JSONValue, isPaymentIntent: Bool, verdict: ProviderAnswer.Verdict, message: String?)
        throws(ProviderCallError) -> ProviderAnswer? {
        guard let read = StripeObjectReading(object, isPaymentIntent: isPaymentIntent),
              let reference = ProviderText.kept(read.reference, limit: ProviderText.referenceLimit) else { return nil }
        let amount = try AnswerReading.amount(object["amount_total"] ?? object["amount"], "amount", { _ in read.amount })
        let currency = try AnswerReading.currency(object["currency"], "currency")
        if verdict == .paid, amount == nil || currency == nil { throw .badAnswer("a paid object has no amount or currency") }
        return ProviderAnswer(provider: .stripe, reference: reference, verdict: verdict, amount: amount, currency: currency,
                              providerReference: ProviderText.kept(read.paymentIntent, limit: ProviderText.idLimit),
                              message: message, email: ProviderText.kept(read.email, limit: ProviderText.emailLimit))
    }
}
