import Auth
import Hub
import Phones
import JSON
import Records

/// A tracking event from a storefront, parsed and checked on the connection's own loop
/// before it goes to the hub. Field names follow the contract (`session_id`, `page_type`…).
enum Beacon: Sendable {
    case sessionStart(id: String, userId: String?, email: String?, phone: String?, origin: PresenceHub.Origin?)
    case pageVisit(session: String, pageType: PageType, identifier: String?, url: String?)
    case checkoutStart(session: String, items: String?, total: String?, method: String?)
    case paymentStart(session: String, method: String?, amount: String?)
    case paymentError(session: String, code: String, message: String, details: String?, email: String?, phone: String?)
    case paymentSuccess(session: String, reference: String?, amount: String?)
    case heartbeat(session: String, engagedMilliseconds: Int64?)
    case sessionEnd(session: String)
    case event(session: String, name: String, props: [(String, String)])

    var sessionID: String {
        switch self {
        case .sessionStart(let id, _, _, _, _): return id
        case .pageVisit(let s, _, _, _), .checkoutStart(let s, _, _, _), .paymentStart(let s, _, _),
             .paymentError(let s, _, _, _, _, _), .paymentSuccess(let s, _, _), .heartbeat(let s, _), .sessionEnd(let s), .event(let s, _, _):
            return s
        }
    }

    /// Builds a beacon of `kind` from a JSON body; every refusal says which field and why.
    static func parse(kind: BeaconKind, body: JSONValue, phones: PhoneNormalizer) throws(APIError) -> Beacon {
        let fields = try BodyFields(body, errorCode: "invalid_beacon")
        // A field this beacon does not have is refused, named: a typo or a field the hub
        // does not keep would otherwise vanish while the beacon is answered 200.
        if case .object(let members) = body {
            let names = fieldNames(of: kind)
            if let unknown = members.first(where: { !names.contains($0.0) }) {
                throw invalid("\(unknown.0) is not a field of this beacon (its fields: \(names.filter { $0 != "type" }.sorted().joined(separator: ", ")))")
            }
        }
        switch kind {
        case .sessionStart:
            let id = try fields.text("session_id", max: 128) ?? newSessionID()
            return .sessionStart(id: id, userId: try fields.text("user_id", max: 128),
                                 email: try fields.text("email", max: 320), phone: try fields.phone("phone", phones), origin: try origin(fields))
        case .pageVisit:
            return .pageVisit(session: try fields.session(), pageType: PageType(shopName: try fields.required("page_type", max: 64)),
                              identifier: try fields.text("page_identifier", max: 256), url: try fields.text("page_url", max: 2048))
        case .checkoutStart:
            let session = try fields.session()
            guard let items = try fields.json("checkout_items", max: Limit.checkoutItems) else { throw invalid("checkout_items is required") }
            guard let total = try fields.amount("total_amount") else { throw invalid("total_amount is required") }
            return .checkoutStart(session: session, items: items, total: total, method: try fields.text("payment_method", max: 64))
        case .paymentStart:
            return .paymentStart(session: try fields.session(), method: try fields.text("payment_method", max: 64), amount: try fields.amount("amount"))
        case .paymentError:
            return .paymentError(session: try fields.session(), code: try fields.required("error_code", max: 128),
                                 message: try fields.required("error_message", max: 2048), details: try fields.json("error_details", max: Limit.errorDetails),
                                 email: try fields.text("email", max: 320), phone: try fields.phone("phone", phones))
        case .paymentSuccess:
            return .paymentSuccess(session: try fields.session(), reference: try fields.text("reference", max: 256), amount: try fields.amount("amount"))
        case .heartbeat:
            return .heartbeat(session: try fields.session(), engagedMilliseconds: try engaged(fields))
        case .sessionEnd:
            return .sessionEnd(session: try fields.session())
        case .event:
            let (name, props) = try event(fields)
            return .event(session: try fields.session(), name: name, props: props)
        }
    }

    /// Each beacon's fields (README "Beacon fields"); `type` names the beacon on `/ws/track`.
    /// Arrays made once: a beacon's few names are compared in place, nothing is hashed or
    /// built per beacon (callgrind: a set made per call was a quarter of a beacon's cost).
    static func fieldNames(of kind: BeaconKind) -> [String] {
        switch kind {
        case .sessionStart: return FieldNames.sessionStart
        case .pageVisit: return FieldNames.pageVisit
        case .checkoutStart: return FieldNames.checkoutStart
        case .paymentStart: return FieldNames.paymentStart
        case .paymentError: return FieldNames.paymentError
        case .paymentSuccess: return FieldNames.paymentSuccess
        case .heartbeat: return FieldNames.heartbeat
        case .sessionEnd: return FieldNames.common
        case .event: return FieldNames.event
        }
    }

    private enum FieldNames {
        static let common = ["type", "session_id"]
        static let sessionStart = common + ["user_id", "email", "phone", "referrer", "utm_source", "utm_medium", "utm_campaign"]
        static let heartbeat = common + ["engaged_ms"]
        static let event = common + ["name", "props"]
        static let pageVisit = common + ["page_type", "page_identifier", "page_url"]
        static let checkoutStart = common + ["checkout_items", "total_amount", "payment_method"]
        static let paymentStart = common + ["payment_method", "amount"]
        static let paymentError = common + ["error_code", "error_message", "error_details", "email", "phone"]
        static let paymentSuccess = common + ["reference", "amount"]
    }

    /// What one stored beacon may hold: every field a browser sends is capped, so a
    /// session or a payment error costs a bounded amount of memory and snapshot.
    enum Limit {
        static let checkoutItems = 8 * 1024
        static let errorDetails = 4 * 1024
        static let userAgent = 512
    }

    /// The `User-Agent` header as sessions keep it; longer than any browser's is refused.
    static func userAgent(_ header: String?) throws(APIError) -> String? {
        guard let header else { return nil }
        guard header.utf8.count <= Limit.userAgent else {
            throw invalid("the User-Agent header is longer than \(Limit.userAgent) bytes")
        }
        return header
    }

    static func invalid(_ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_beacon", message: message)
    }

    static func newSessionID() -> String {
        "s_" + HMAC.hex(HMAC.randomBytes(12))
    }
}
