import Hub
import Money
import Phones

/// `GET /api/support/timeline`: one person's whole story in one answer. Its two halves are
/// asked for from here, the caller's loop, and joined here: the records' (one read on a
/// reader, `ReadSupportTimeline`: who the person is, then their payments, events, deliveries,
/// alerts, ledger, activity and balances), then presence's (each of the person's keys'
/// sessions, by `GET /api/sessions`'s own lookup: this node's and, in cluster mode, every
/// other fresh node's, as values), with the payment errors of those sessions and contacts
/// that this node holds (`HubPublication`, as `GET /api/metrics/payment-errors` reads them).
/// The answer is made here, on the caller's loop, by the edge's own helpers.
final class SupportTimelineJoin {
    private let read: ReadSupportTimeline
    private unowned let client: HubClient
    private let token: UInt64
    private var story = SupportTimeline()
    /// By session id: a session found under several keys is listed once.
    private var sessions: [String: (node: String?, session: Session)] = [:]
    private var sessionsTruncated = false
    private var unanswered: [String] = []
    private var lookups = 0

    /// Starts the join; its answer goes to `token`, on `client`'s loop.
    static func start(_ read: ReadSupportTimeline, client: HubClient, token: UInt64) {
        let join = SupportTimelineJoin(read: read, client: client, token: token)
        // The join is this loop's: the records' answer is carried back here to it.
        let back = UncheckedTransfer(join)
        let origin = client.context.loop.handle
        client.context.shared.money.submit(read) { result in
            origin.execute { _ in back.value.recordsRead(result) }
        }
    }

    private init(read: ReadSupportTimeline, client: HubClient, token: UInt64) {
        self.read = read
        self.client = client
        self.token = token
    }

    private func recordsRead(_ result: MoneyResult<SupportTimeline>) {
        switch result {
        case .failure(let failure):
            client.answer(token, failure.response)
        case .success(let story):
            self.story = story
            let keys = story.person.presenceKeys
            guard !keys.isEmpty else { return answer() }
            lookups = keys.count
            for key in keys { client.ask(.sessions(key)) { [self] reply in sessionsFound(reply) } }
        }
    }

    /// One key's sessions, as `GET /api/sessions`'s lookup finds them (newest first, at most
    /// `ClusterPresence.sessionsAnswered`, and the nodes that did not answer in time, named
    /// as that endpoint's header names them).
    private func sessionsFound(_ reply: HubReply) {
        lookups -= 1
        if case .sessions(let found) = reply {
            for node in found.unanswered.map(HubAnswers.nodeName) where !unanswered.contains(node) { unanswered.append(node) }
            if found.sessions.count >= ClusterPresence.sessionsAnswered { sessionsTruncated = true }
            for entry in found.sessions where sessions[entry.session.id] == nil { sessions[entry.session.id] = entry }
        } else {
            sessionsTruncated = true  // not read: there may be more than is shown
        }
        if lookups == 0 { answer() }
    }

    private func answer() {
        let limit = read.limit
        let newest = sessions.values.sorted { $0.session.startedAt > $1.session.startedAt }
        let sessionIds = Set(sessions.keys)
        let match = story.person.match
        let errors = client.context.shared.publication.read().recentErrors.filter { error in
            sessionIds.contains(error.sessionId) || error.email.map { match.emailKeys.contains(EmailKey.of($0)) } == true
                || error.phone.map { match.phoneDigits.contains(PhoneNumber.digits($0)) } == true
        }
        let presence = SupportTimelineMessages.Presence(
            sessions: Array(newest.prefix(limit)), sessionsTruncated: sessionsTruncated || newest.count > limit,
            paymentErrors: Array(errors.prefix(limit)), paymentErrorsTruncated: errors.count > limit, unansweredNodes: unanswered)
        client.answer(token, MoneyAnswers.json(.ok, SupportTimelineMessages.answer(story, presence, limit: limit)))
    }
}

extension ReadSupportTimeline {
    /// `?email=|phone=|user_id=|reference=` (exactly one; an empty one counts as absent) and
    /// `limit` (rows per section). A phone is read as E.164 when libphonenumber can, as the
    /// stored ones are.
    static func parse(_ query: [String: String], phones: PhoneNormalizer) throws(APIError) -> ReadSupportTimeline {
        func value(_ name: String, max: Int) throws(APIError) -> String? {
            guard let value = query[name], !value.isEmpty else { return nil }
            guard value.utf8.count <= max else { throw QueryParameters.invalid("\(name) is longer than \(max) bytes") }
            return value
        }
        var keys: [Key] = []
        if let email = try value("email", max: 320) { keys.append(.email(email)) }
        if let phone = try value("phone", max: 64) {
            guard !PhoneNumber.digits(phone).isEmpty else { throw QueryParameters.invalid("phone has no digits") }
            keys.append(.phone(phones.e164(phone) ?? phone))
        }
        if let user = try value("user_id", max: 256) { keys.append(.userId(user)) }
        if let reference = try value("reference", max: 256) { keys.append(.reference(reference)) }
        guard keys.count == 1, let key = keys.first else {
            throw QueryParameters.invalid("name the person by exactly one of email, phone, user_id or reference")
        }
        let limit = try QueryParameters.integer(query, "limit", in: 1...500) ?? Self.defaultLimit
        return ReadSupportTimeline(key, limit: limit)
    }
}
