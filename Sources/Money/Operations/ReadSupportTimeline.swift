import Hub
import Records

/// `GET /api/support/timeline`: one person's story as the records database holds it, in one
/// read on a reader (with the read deadline).
///
/// Who they are first, the way journeys find it: the key asked, then the user ids, emails
/// and phones that the payments and activity naming them give (the links the shop made),
/// a few rounds at most and `maxKeys` keys at most. A reference (ours, or the provider's own
/// id) leads to its payment's person; one that names no payment but a ledger entry, to that
/// entry's user. Then each section, newest first, at most `limit` rows each, and whether
/// there were more. Sessions and payment errors are presence's: the edge adds them, and
/// what they claim (anonymous beacons) never widens the search.
public struct ReadSupportTimeline: MoneyReadOperation {
    public typealias Reply = SupportTimeline

    /// Exactly one key names the person asked about.
    public enum Key: Sendable, Equatable {
        case email(String)
        case phone(String)
        case userId(String)
        case reference(String)
    }

    public var key: Key
    /// Rows per section.
    public var limit: Int

    public static let defaultLimit = 200
    /// The most emails, phones and user ids one person is known by: past it the search stops
    /// widening and says so (`truncated.person`). A key many share (a test card's email) is
    /// a question for a person, not a page.
    public static let maxKeys = 32
    /// Rounds of widening: a user id → its emails → their user ids → …
    static let rounds = 4

    public init(_ key: Key, limit: Int = Self.defaultLimit) {
        self.key = key
        self.limit = max(1, limit)
    }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> SupportTimeline {
        var story = SupportTimeline()
        var asked: Set<String> = []
        switch key {
        case .email(let email): story.person.add(email: email)
        case .phone(let phone): story.person.add(phone: phone)
        case .userId(let user): story.person.add(userId: user)
        case .reference(let reference):
            var filter = PaymentFilter()
            filter.reference = reference
            let found = try store.payments(filter, limit: Self.maxKeys)
            for payment in found { story.person.add(reference: payment.reference) }
            if found.isEmpty {
                // Deliveries and alerts may name a reference no payment has (an unverified
                // claim, a ledger entry's); a provider's id is looked up as ours.
                asked.insert(reference)
                if let entry = try store.transaction(reference: reference) { story.person.add(userId: entry.userId) }
            }
        }
        for _ in 0..<Self.rounds {
            let known = story.person.keyCount
            for link in try store.links(of: story.person.match, limit: Self.maxKeys * 4) { story.person.add(link) }
            if story.person.keyCount == known { break }
        }
        story.truncated.person = story.person.overflowed
        let match = story.person.match

        (story.payments, story.truncated.payments) = newest(try store.payments(of: match, limit: limit + 1))
        for payment in story.payments { story.person.add(reference: payment.reference) }
        let ours = Set(story.payments.map(\.reference))
        let references = ours.union(asked)
        (story.paymentEvents, story.truncated.paymentEvents) = newest(try store.paymentEvents(references: ours, limit: limit + 1))
        (story.webhookDeliveries, story.truncated.webhookDeliveries) = newest(try store.webhookDeliveries(references: references, limit: limit + 1))
        (story.providerChecks, story.truncated.providerChecks) = newest(try store.providerChecks(references: references, limit: limit + 1))
        (story.alerts, story.truncated.alerts) = newest(try store.alerts(users: match.userIds, references: references, limit: limit + 1))

        // Each user's newest by their own order (an index each), then together.
        var transactions: [LedgerTransaction] = []
        var more = false
        for user in story.person.userIds {
            let theirs = try store.transactions(of: user, after: 0, limit: limit + 1)
            more = more || theirs.count > limit
            transactions += theirs
        }
        (story.transactions, story.truncated.transactions) = newest(transactions.sorted { $0.id > $1.id })
        story.truncated.transactions = story.truncated.transactions || more

        var events: [Int64: ActivityEvent] = [:]
        more = false
        for user in story.person.userIds {
            let theirs = try store.newestActivity(userId: user, limit: limit + 1)
            more = more || theirs.count > limit
            for event in theirs { events[event.id] = event }
        }
        for email in match.emailKeys.sorted() {
            let theirs = try store.newestActivity(emailKey: email, limit: limit + 1)
            more = more || theirs.count > limit
            for event in theirs { events[event.id] = event }
        }
        (story.activity, story.truncated.activity) = newest(events.values.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) })
        story.truncated.activity = story.truncated.activity || more

        // The balance of each user the records name (a user id asked for that nothing names
        // has none to show).
        let wallets = try store.balances(of: match.userIds)
        let named = Set(story.payments.compactMap(\.userId) + story.transactions.map(\.userId) + story.activity.compactMap(\.userId))
        story.balances = story.person.userIds.compactMap { user in
            wallets[user].map { SupportTimeline.Balance(userId: user, balance: $0) }
                ?? (named.contains(user) ? SupportTimeline.Balance(userId: user, balance: .zero) : nil)
        }
        return story
    }

    /// The first `limit` rows (read newest first, one more than shown), and whether there were more.
    private func newest<Row>(_ rows: [Row]) -> ([Row], Bool) {
        (Array(rows.prefix(limit)), rows.count > limit)
    }
}

/// One person's story as the records database holds it (`ReadSupportTimeline`): each
/// section newest first.
public struct SupportTimeline: Sendable {
    public struct Balance: Sendable, Equatable {
        public var userId: String
        public var balance: Money
    }

    /// Which sections had more rows than were read (`truncated` in the answer).
    public struct Truncated: Sendable, Equatable {
        /// The person is known by more than `maxKeys` emails, phones and user ids.
        public var person = false
        public var payments = false
        public var paymentEvents = false
        public var webhookDeliveries = false
        public var providerChecks = false
        public var alerts = false
        public var transactions = false
        public var activity = false
    }

    public var person = Person()
    public var balances: [Balance] = []
    public var payments: [Payment] = []
    public var paymentEvents: [PaymentEvent] = []
    public var webhookDeliveries: [WebhookLogEntry] = []
    /// What the providers' APIs said about the person's payments (`ProviderCheck`).
    public var providerChecks: [ProviderCheck] = []
    public var alerts: [AlertRow] = []
    public var transactions: [LedgerTransaction] = []
    public var activity: [ActivityEvent] = []
    public var truncated = Truncated()

    public init() {}

    /// The keys a person was found by, each once (emails without case, phones by their
    /// digits), as first written: the one asked first.
    public struct Person: Sendable, Equatable {
        public private(set) var emails: [String] = []
        public private(set) var phones: [String] = []
        public private(set) var userIds: [String] = []
        /// Their payments' references.
        public private(set) var references: [String] = []
        /// A key was left out: `maxKeys` were known already.
        public private(set) var overflowed = false
        /// As the statements compare them.
        public private(set) var match = PersonMatch()

        public init() {}

        /// Emails, phones and user ids.
        public var keyCount: Int { emails.count + phones.count + userIds.count }

        /// The keys presence knows people by (`GET /api/sessions`'s).
        public var presenceKeys: [PersonKey] { emails.map(PersonKey.email) + phones.map(PersonKey.phone) + userIds.map(PersonKey.userId) }

        mutating func add(email: String) {
            let key = EmailKey.of(email)
            guard !email.isEmpty, !match.emailKeys.contains(key), room() else { return }
            match.emailKeys.insert(key)
            emails.append(email)
        }

        mutating func add(phone: String) {
            let digits = PhoneNumber.digits(phone)
            guard !digits.isEmpty, !match.phoneDigits.contains(digits), room() else { return }
            match.phoneDigits.insert(digits)
            phones.append(phone)
        }

        mutating func add(userId: String) {
            guard !userId.isEmpty, !match.userIds.contains(userId), room() else { return }
            match.userIds.insert(userId)
            userIds.append(userId)
        }

        mutating func add(reference: String) {
            guard !match.references.contains(reference) else { return }
            match.references.insert(reference)
            references.append(reference)
        }

        mutating func add(_ link: PersonLink) {
            if let user = link.userId { add(userId: user) }
            if let email = link.email { add(email: email) }
            if let phone = link.phone { add(phone: phone) }
        }

        /// Whether another key may be added; past `maxKeys`, says one was left out.
        private mutating func room() -> Bool {
            guard keyCount < ReadSupportTimeline.maxKeys else {
                overflowed = true
                return false
            }
            return true
        }
    }
}
