import Hub

/// What one node hears another say, typed. PostgreSQL carries each as a NOTIFY on its
/// channel (`ClusterChannel`), a payload of text; memory carries the values themselves.
public enum ClusterNews: Sendable, Equatable {
    /// That node's counts changed: the rows are read again.
    case presence(node: String)
    /// That node took sessions: the claims are read again.
    case claims(node: String)
    /// A node asks about the sessions the others hold.
    case asked(ClusterQuery.Asked)
    /// Answers to that node's questions wait for it.
    case answers(asker: String)
    /// A ledger write committed, on any node (sent by the money engine in its transaction).
    case balance(ClusterLink.BalanceNotice)
    /// That node changed the open problems.
    case problems(node: String)
    /// That node raised alert `id` for the sellers.
    case alert(node: String, id: Int64)
    /// That node recorded payment errors.
    case paymentErrors(node: String)
    /// That node erased the person: every node removes what it holds of them.
    case erased(node: String, PersonKey)

    /// The node that said it, whose own news its link leaves out; nil for answers (the
    /// payload names who they are for) and balances (every node hands them on, the writer too).
    public var sender: String? {
        switch self {
        case .presence(let node), .claims(let node), .problems(let node), .alert(let node, _), .paymentErrors(let node), .erased(let node, _):
            node
        case .asked(let asked): asked.asker
        case .answers, .balance: nil
        }
    }

    /// As PostgreSQL carries it.
    public var notification: (channel: String, payload: String) {
        switch self {
        case .presence(let node): (ClusterChannel.presence, node)
        case .claims(let node): (ClusterChannel.claims, node)
        case .asked(let asked): (ClusterChannel.query, asked.query.payload(asker: asked.asker, id: asked.id))
        case .answers(let asker): (ClusterChannel.answer, asker)
        case .balance(let notice): (ClusterChannel.balance, "\(notice.seq):\(notice.userId)")
        case .problems(let node): (ClusterChannel.problems, node)
        case .alert(let node, let id): (ClusterChannel.alert, "\(node):\(id)")
        case .paymentErrors(let node): (ClusterChannel.paymentErrors, node)
        case .erased(let node, let key): (ClusterChannel.erasure, "\(node)\t\(key.kind)\t\(key.value)")
        }
    }

    /// The news a notification carries; nil for one this build does not read (another
    /// channel, or a newer node's payload).
    public init?(channel: String, payload: String) {
        switch channel {
        case ClusterChannel.presence: self = .presence(node: payload)
        case ClusterChannel.claims: self = .claims(node: payload)
        case ClusterChannel.answer: self = .answers(asker: payload)
        case ClusterChannel.problems: self = .problems(node: payload)
        case ClusterChannel.paymentErrors: self = .paymentErrors(node: payload)
        case ClusterChannel.query:
            guard let asked = ClusterQuery.asked(payload: payload) else { return nil }
            self = .asked(asked)
        case ClusterChannel.balance:
            guard let notice = ClusterLink.BalanceNotice(payload: payload) else { return nil }
            self = .balance(notice)
        case ClusterChannel.alert:
            // Node ids may hold colons (host:port); the id never does.
            guard let colon = payload.lastIndex(of: ":"), let id = Int64(payload[payload.index(after: colon)...]) else { return nil }
            self = .alert(node: String(payload[..<colon]), id: id)
        case ClusterChannel.erasure:
            // Node ids hold no tab; the kind is a word; the value is the rest.
            let parts = payload.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let key = PersonKey(kind: String(parts[1]), value: String(parts[2])) else { return nil }
            self = .erased(node: String(parts[0]), key)
        default:
            return nil
        }
    }
}

/// The NOTIFY channels the nodes of one database talk on. The money engine sends the
/// last five inside its transactions (so they arrive after COMMIT, in commit order); Money
/// spells them too (`MoneyChannel`: it does not depend on Cluster) and a test holds the
/// two spellings equal.
public enum ClusterChannel {
    /// A node's id: its presence counts changed.
    public static let presence = "livehub_presence"
    /// A node's id: it took sessions (rows of `session_claims`).
    public static let claims = "livehub_claims"
    /// `ASKER<TAB>ID<TAB>…`: a node asks the others about the sessions they hold (`ClusterQuery`).
    public static let query = "livehub_query"
    /// A node's id: answers to its questions wait in `cluster_answers`.
    public static let answer = "livehub_answer"
    /// `SEQ:USER`: a user's balance reached `SEQ`.
    public static let balance = "livehub_balance"
    /// A node's id: the open gaps and unmatched payments changed.
    public static let problems = "livehub_problems"
    /// `NODE:ID`: that node raised alert ID for the sellers.
    public static let alert = "livehub_alert"
    /// A node's id: it recorded payment errors (rows of `payment_errors`).
    public static let paymentErrors = "livehub_payment_errors"
    /// `NODE<TAB>KIND<TAB>VALUE`: that node erased the person.
    public static let erasure = "livehub_erasure"

    /// Every channel a node listens on.
    public static let all = [presence, claims, query, answer, balance, problems, alert, paymentErrors, erasure]
}
