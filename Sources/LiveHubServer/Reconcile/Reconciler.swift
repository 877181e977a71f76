import Hub
import Logging
import Money
import Providers
import Reactor

/// Reconciliation with the providers (README "Reconciliation"), on its own loop:
/// - every `--reconcile-interval`, the payments whose question is due (not settled
///   `--reconcile-after` after they were first seen; then after 3×, 12×, 72× it) are asked
///   about at their provider, at most `--reconcile-calls-per-minute` questions a minute to
///   each; each answer is recorded and moves its payment as a webhook would
///   (`RecordProviderCheck`);
/// - every `--reconcile-list-interval`, the providers' lists of what they have (Paystack's
///   successful transactions of the last day, Stripe's undelivered events) are read, and
///   what we never saw is recorded `unmatched`;
/// - an operator's "check with the provider" asks at once;
/// - an M-Pesa callback counts only once Daraja's STK query says the same.
/// A provider that fails or hangs holds only its own questions (each has a deadline);
/// the payment is asked again on its schedule. A pass's questions go out evenly, one per
/// provider every minute / `--reconcile-calls-per-minute`, not all at once: a pass of
/// 1,000 would otherwise be 1,000 connections in a second, past the providers' rate limits
/// and a burst of this node's CPU beside its beacons (BENCHMARKS "Reconciling").
final class Reconciler {
    let loop: EventLoop
    let money: MoneyEngine
    let clients: ProviderClients
    let settings: ProviderAPISettings
    let clock: SystemClock
    let metrics: ReconcileMetrics
    /// Questions each provider may still be asked this minute.
    private var budget: [String: Int] = [:]
    private var budgetMinute: Int64 = -1
    /// Payments being asked about now.
    private var asking: Set<String> = []
    private var passRunning = false
    /// The pass's questions not yet asked, by provider, oldest due first; the pacer asks
    /// them one per provider per `spacing`.
    private var queued: [String: ArraySlice<PaymentToCheck>] = [:]
    private var pacing = false
    /// The pass's answers not yet recorded: written together every `answerWindow`, so a
    /// hundred answers a second are four commits (and four fsyncs), not a hundred, each
    /// waking the writer beside the ledger's writes.
    private var answered: [(check: ProviderCheck, next: (checks: Int, at: Int64?))] = []
    private var recordingScheduled = false
    static let answerWindow: UInt64 = 250_000_000
    static let logger = Logger(label: "livehub.reconcile")

    init(loop: EventLoop, money: MoneyEngine, settings: ProviderAPISettings, paystackSecret: String?, clock: SystemClock, metrics: ReconcileMetrics) {
        self.loop = loop
        self.money = money
        self.settings = settings
        self.clock = clock
        self.metrics = metrics
        clients = ProviderClients(settings: settings, paystackSecret: paystackSecret, loop: loop, metrics: metrics)
    }

    var confirmsMPesa: Bool { clients.mpesa != nil }

    func start() {
        Self.logger.notice("reconciliation with the providers' APIs", metadata: ["providers": "\(clients.configured.joined(separator: ","))"])
        loop.scheduleRepeating(everyNanoseconds: UInt64(settings.reconcileInterval.milliseconds) * 1_000_000) { [unowned self] in pass() }
        loop.scheduleRepeating(everyNanoseconds: UInt64(settings.listInterval.milliseconds) * 1_000_000) { [unowned self] in listPass() }
    }

    /// Takes one of the provider's questions this minute, if it has one left.
    func takeQuestion(_ provider: String) -> Bool {
        let minute = clock.nowMilliseconds / 60_000
        if minute != budgetMinute {
            budgetMinute = minute
            budget = [:]
        }
        let left = budget[provider] ?? settings.callsPerMinute
        guard left > 0 else { return false }
        budget[provider] = left - 1
        return true
    }

    // MARK: the pass

    /// Asks about the payments due, as far as each provider's questions this minute go.
    /// The last pass's questions are asked first: the next pass reads again once they are.
    func pass() {
        guard !passRunning, queued.isEmpty else { return }
        let providers = clients.configured
        guard !providers.isEmpty else { return }
        passRunning = true
        money.submit(ReadPaymentsToCheck(limit: 1000, providers: providers)) { [back = self.backer] result in
            back { reconciler in
                reconciler.passRunning = false
                guard case .success(let due) = result else { return }
                for item in due where !reconciler.asking.contains(item.payment.reference) {
                    reconciler.queued[item.payment.provider, default: []].append(item)
                }
                reconciler.paceQuestions()
            }
        }
    }

    /// Time between two of a provider's questions from the pass (at least 10 ms).
    var spacing: UInt64 { UInt64(max(10, 60_000 / max(1, settings.callsPerMinute))) * 1_000_000 }

    /// Asks each provider's next queued question, if its minute has one left, and comes
    /// back after `spacing` while any wait.
    private func paceQuestions() {
        guard !pacing else { return }
        for provider in queued.keys.sorted() {
            guard var waiting = queued[provider], let next = waiting.first else { continue }
            guard takeQuestion(provider) else { continue }
            waiting.removeFirst()
            queued[provider] = waiting.isEmpty ? nil : waiting
            ask(next)
        }
        guard !queued.isEmpty else { return }
        pacing = true
        _ = loop.schedule(afterNanoseconds: spacing) { [unowned self] in
            pacing = false
            paceQuestions()
        }
    }

    /// Runs a closure back on this loop (a reply from the money engine's threads).
    var backer: @Sendable (@escaping @Sendable (Reconciler) -> Void) -> Void {
        let bound = LoopBound(self)
        let handle = loop.handle
        return { body in handle.execute { _ in body(bound.value) } }
    }

    /// One question, its budget taken.
    private func ask(_ item: PaymentToCheck) {
        let payment = item.payment
        guard !asking.contains(payment.reference) else { return }
        asking.insert(payment.reference)
        let after = settings.reconcileAfter.milliseconds
        let next = (checks: item.checks + 1, at: ProviderCheck.nextCheck(after: item.checks + 1, since: payment.createdAt, delay: after))
        clients.ask(payment, asker: .reconcile, now: clock.nowMilliseconds) { [unowned self] check in
            answered.append((check, next))
            guard !recordingScheduled else { return }
            recordingScheduled = true
            _ = loop.schedule(afterNanoseconds: Self.answerWindow) { [unowned self] in recordAnswers() }
        }
    }

    /// The answers of the last `answerWindow`, recorded in one batch (one transaction).
    private func recordAnswers() {
        recordingScheduled = false
        guard !answered.isEmpty else { return }
        var batch = MoneyBatch<(reference: String, moved: String?)>()
        for (check, next) in answered {
            batch.add(RecordProviderCheck(check, next: next)) { result in
                guard case .success(let reply) = result else { return (check.reference, nil) }
                return (check.reference, reply.check.moved)
            }
        }
        answered = []
        let back = backer, metrics = self.metrics
        money.submit(batch) { answers in
            let done = answers.map { $0() }
            for moved in done.compactMap(\.moved) { metrics.moved(moved) }
            back { reconciler in
                for (reference, _) in done { reconciler.asking.remove(reference) }
            }
        }
    }

    // MARK: asked by an operator

    /// "Check with the provider": asked now (within the provider's questions this minute),
    /// recorded, and the check and the payment as it is after it handed to `done` on the
    /// money engine's thread.
    func checkNow(_ reference: String, done: @escaping @Sendable (Result<ProviderCheckReply, CheckRefusal>) -> Void) {
        let back = backer
        money.submit(ReadPaymentForCheck(reference: reference)) { result in
            back { reconciler in
                guard case .success(let found) = result else { return done(.failure(.unavailable)) }
                guard let payment = found else { return done(.failure(.noSuchPayment)) }
                guard reconciler.clients.configured.contains(payment.provider) else { return done(.failure(.notConfigured(payment.provider))) }
                guard reconciler.takeQuestion(payment.provider) else { return done(.failure(.busy(payment.provider))) }
                reconciler.clients.ask(payment, asker: .console, now: reconciler.clock.nowMilliseconds) { check in
                    let metrics = reconciler.metrics
                    reconciler.money.submit(RecordProviderCheck(check)) { result in
                        switch result {
                        case .success(let reply):
                            if let moved = reply.check.moved { metrics.moved(moved) }
                            done(.success(reply))
                        case .failure: done(.failure(.unavailable))
                        }
                    }
                }
            }
        }
    }

    enum CheckRefusal: Error, Sendable {
        case noSuchPayment
        case notConfigured(String)
        case busy(String)
        case unavailable
    }
}
