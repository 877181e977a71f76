/// Something a person should look at now: money taken in a way worth checking, money that
/// arrived and was not credited, payments failing in a burst.
public struct Alert: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case largeDeduction = "large_deduction"
        case highVelocity = "high_velocity"
        case negativeBalance = "negative_balance"
        case paymentGap = "payment_gap"
        case unmatchedPayment = "unmatched_payment"
        /// The provider confirmed another amount or currency than the shop's payment.
        case amountMismatch = "amount_mismatch"
        case paymentErrorSpike = "payment_error_spike"
        /// Good news, sent only when switched on: a payment confirmed and credited.
        case paymentCredited = "payment_credited"
        /// A provider's delivery we could not verify or read.
        case webhookFailed = "webhook_failed"
        /// A callback the provider's own API contradicts (an M-Pesa callback Daraja's STK
        /// query does not confirm): forged, or stale.
        case callbackContradicted = "callback_contradicted"

        /// How loud it is: the colour of its Discord embed and of its line on the dashboard.
        public var severity: Severity {
            switch self {
            case .paymentCredited: return .good
            case .webhookFailed, .highVelocity, .paymentErrorSpike: return .warning
            case .largeDeduction, .negativeBalance, .paymentGap, .unmatchedPayment, .amountMismatch, .callbackContradicted: return .critical
            }
        }
    }

    public enum Severity: String, Sendable {
        case good, warning, critical
    }

    public var id: Int64
    public var kind: Kind
    public var title: String
    public var message: String
    public var userId: String?
    public var reference: String?
    public var createdAt: Int64

    /// Bytes this alert holds, for the alert log's byte budget.
    public var byteCost: Int {
        96 + title.utf8.count + message.utf8.count + (userId?.utf8.count ?? 0) + (reference?.utf8.count ?? 0)
    }

    public init(id: Int64, kind: Kind, title: String, message: String, userId: String? = nil, reference: String? = nil, createdAt: Int64) {
        self.id = id
        self.kind = kind
        self.title = title
        self.message = message
        self.userId = userId
        self.reference = reference
        self.createdAt = createdAt
    }
}

/// The alert rules (contract: "Alerts"). Pure: they look at what happened and say which
/// alerts it raises; the caller numbers, records and sends them.
public final class AlertRules {
    public struct Configuration: Sendable {
        public var largeDeduction = Money(minorUnits: 5000)
        /// More than this many transactions for one user within `velocityWindow` alerts.
        public var velocityLimit = 10
        public var velocityWindow: Int64 = 5 * 60_000
        /// This many payment errors within `spikeWindow` is a spike (alerted once per window).
        public var spikeThreshold = 5
        public var spikeWindow: Int64 = 60_000
        /// `--notify credited`: each payment confirmed and credited is announced.
        public var notifyCredited = true
        /// `--notify webhook-failures`: a delivery that failed verification or processing is
        /// announced, at most once per provider per `webhookFailureWindow` (anyone can post one).
        public var notifyWebhookFailures = true
        public var webhookFailureWindow: Int64 = 60_000

        public init() {}
    }

    public var configuration: Configuration
    private var recentByUser: [String: [Int64]] = [:]
    /// Users already alerted for velocity in their current burst (until it calms down).
    private var velocityAlerted: Set<String> = []
    private var recentErrors: [Int64] = []
    private var lastSpikeAlert: Int64?
    private var lastWebhookFailureAlert: [String: Int64] = [:]

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public typealias Draft = (kind: Alert.Kind, title: String, message: String, userId: String?, reference: String?)

    /// The rules a committed transaction may break. `countingVelocity` false: the velocity
    /// rule is the records' (`velocityFromRecords`), not this process's memory.
    public func transactionApplied(_ t: LedgerTransaction, countingVelocity: Bool = true) -> [Draft] {
        var drafts: [Draft] = []
        if t.kind.sign < 0 && t.amount > configuration.largeDeduction {
            drafts.append((.largeDeduction, "Large deduction",
                           "\(t.amount) was deducted from user \(t.userId) (\(t.kind.rawValue), reference \(t.reference)); the limit is \(configuration.largeDeduction).",
                           t.userId, t.reference))
        }
        if countingVelocity, let draft = velocity(t) { drafts.append(draft) }
        if t.balanceAfter.minorUnits < 0 && t.kind.sign < 0 {
            drafts.append((.negativeBalance, "Negative balance",
                           "User \(t.userId)'s balance is \(t.balanceAfter) after \(t.kind.rawValue) \(t.reference).", t.userId, t.reference))
        }
        return drafts
    }

    /// More than `velocityLimit` transactions for one user within `velocityWindow`, alerted
    /// once per burst (again after it calms down), from the transactions this process saw.
    private func velocity(_ t: LedgerTransaction) -> Draft? {
        var times = recentByUser[t.userId, default: []]
        times.append(t.createdAt)
        times.removeAll { t.createdAt - $0 >= configuration.velocityWindow }
        recentByUser[t.userId] = times
        guard times.count > configuration.velocityLimit else {
            velocityAlerted.remove(t.userId)
            return nil
        }
        return velocityAlerted.insert(t.userId).inserted ? velocityDraft(t, count: times.count) : nil
    }

    private func velocityDraft(_ t: LedgerTransaction, count: Int) -> Draft {
        (.highVelocity, "Unusual activity", "User \(t.userId) made \(count) transactions in \(configuration.velocityWindow / 60_000) minutes.",
         t.userId, t.reference)
    }

    /// The user's transactions (by seq) the velocity rule reads to judge `t` from the records.
    public func velocitySeqs(_ t: LedgerTransaction) -> [Int64] {
        let limit = Int64(configuration.velocityLimit)
        return [t.userSeq - 1, t.userSeq - limit, t.userSeq - limit - 1].filter { $0 > 0 }
    }

    /// The velocity rule as the records tell it (several nodes write for one user; none
    /// has all their transactions in memory): `createdAt(seq)` is when the user's
    /// transaction with that seq was made. A burst is alerted where it begins: `t` is the
    /// (limit + 1)th within the window, and the one before it was not; once it calms down,
    /// the next burst is alerted again, as `velocity(_:)` does.
    public func velocityFromRecords(_ t: LedgerTransaction, createdAt: (Int64) -> Int64?) -> Draft? {
        let limit = Int64(configuration.velocityLimit)
        func burst(endingAt seq: Int64) -> Bool {
            guard let end = seq == t.userSeq ? t.createdAt : createdAt(seq), let start = createdAt(seq - limit) else { return false }
            return end - start < configuration.velocityWindow
        }
        guard burst(endingAt: t.userSeq), !burst(endingAt: t.userSeq - 1) else { return nil }
        return velocityDraft(t, count: configuration.velocityLimit + 1)
    }

    public func gapOpened(_ payment: Payment) -> Draft {
        (.paymentGap, "Payment not credited",
         "Payment \(payment.reference) (\(payment.provider)\(Self.amount(payment).map { ", \($0)" } ?? "")\(payment.email.map { ", \($0)" } ?? "")) was confirmed by the provider but not credited.",
         payment.userId, payment.reference)
    }

    public func callbackContradicted(_ check: ProviderCheck) -> Draft {
        (.callbackContradicted, "Callback the provider contradicts",
         "A \(check.provider) callback said payment \(check.reference) succeeded, but \(check.provider)'s API says \(check.outcome.rawValue)\(check.detail.map { " (\($0))" } ?? ""). It was not counted: forged, or stale.",
         nil, check.reference)
    }

    public func unmatched(_ payment: Payment) -> Draft {
        (.unmatchedPayment, "Payment we cannot place",
         "\(payment.provider) confirmed payment \(payment.reference)\(Self.amount(payment).map { " (\($0))" } ?? "")\(payment.email.map { " from \($0)" } ?? "") but no payment was initialized with this reference.",
         payment.userId, payment.reference)
    }

    public func amountMismatch(_ payment: Payment) -> Draft {
        let theirs = Self.amount(payment.providerAmount, payment.providerCurrency) ?? "an amount it did not give"
        let ours = Self.amount(payment.amount, payment.currency) ?? "no amount"
        let what = payment.partial ? "says only part of the price was paid (\(theirs))" : "confirmed \(theirs)"
        return (.amountMismatch, "Payment amount differs",
                "\(payment.provider) \(what) for payment \(payment.reference), initialized at \(ours)\(payment.email.map { " (\($0))" } ?? ""). It is not credited until someone checks it.",
                payment.userId, payment.reference)
    }

    /// "15.00 NGN", "1000 JPY": the amount with its currency's places, and the code when known.
    static func amount(_ payment: Payment) -> String? {
        let shown = payment.shownAmount
        return amount(shown.amount, shown.currency)
    }

    public static func amount(_ amount: Money?, _ code: String?) -> String? {
        guard let amount else { return nil }
        guard let code else { return amount.description }
        return (Currency(code: code).map { $0.text(amount) } ?? amount.description) + " " + code
    }

    public func credited(_ payment: Payment) -> Draft? {
        guard configuration.notifyCredited else { return nil }
        let amount = Self.amount(payment).map { " \($0)" } ?? ""
        let who = payment.email ?? payment.phone ?? payment.userId.map { "user \($0)" }
        return (.paymentCredited, "Payment credited",
                "Payment \(payment.reference)\(amount) (\(payment.provider)\(payment.plan.map { ", \($0)" } ?? "")) was confirmed and credited\(who.map { " to \($0)" } ?? "").",
                payment.userId, payment.reference)
    }

    public func webhookFailed(_ entry: WebhookLogEntry, at time: Int64) -> Draft? {
        guard configuration.notifyWebhookFailures, entry.status == .rejected || entry.status == .failed else { return nil }
        if let last = lastWebhookFailureAlert[entry.provider], time - last < configuration.webhookFailureWindow { return nil }
        lastWebhookFailureAlert[entry.provider] = time
        // What an unverified delivery says is anyone's text: quoted and marked as such.
        let claimed = entry.reference.map { entry.signatureValid ? " (reference \($0))" : " (its unverified text names reference \"\($0)\")" } ?? ""
        return (.webhookFailed, "Webhook failed",
                "A \(entry.provider) delivery was \(entry.status.rawValue)\(entry.errorMessage.map { ": \($0)" } ?? "")\(claimed).",
                nil, entry.signatureValid ? entry.reference : nil)
    }

    public func paymentErrorRecorded(at time: Int64) -> Draft? {
        recentErrors.append(time)
        recentErrors.removeAll { time - $0 >= configuration.spikeWindow }
        guard recentErrors.count >= configuration.spikeThreshold else { return nil }
        if let last = lastSpikeAlert, time - last < configuration.spikeWindow { return nil }
        lastSpikeAlert = time
        return (.paymentErrorSpike, "Payment errors spiking",
                "\(recentErrors.count) payment errors in the last \(configuration.spikeWindow / 1000) seconds.", nil, nil)
    }
}
