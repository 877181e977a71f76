import Hub
import JSON
import Money
import SMTP

/// The notifications' request bodies, checked: every refusal names the field.
enum NotificationRequests {
    /// `{ids: [1, 2]}` or `{up_to: 7}` (or both).
    static func which(_ fields: BodyFields) throws(APIError) -> (ids: [Int64], upTo: Int64?) {
        var ids: [Int64] = []
        if let value = fields.body["ids"], value != .null {
            guard case .array(let items) = value, items.count <= 1000 else { throw fields.invalid("ids must be an array of at most 1000 ids") }
            for item in items {
                guard case .number(let text) = item, let id = Int64(text), id > 0 else { throw fields.invalid("ids must hold positive integers") }
                ids.append(id)
            }
        }
        var upTo: Int64?
        if let value = fields.body["up_to"], value != .null {
            guard case .number(let text) = value, let id = Int64(text), id > 0 else { throw fields.invalid("up_to must be a positive integer") }
            upTo = id
        }
        guard !ids.isEmpty || upTo != nil else { throw fields.invalid("give ids or up_to") }
        return (ids, upTo)
    }

    /// `{email?, kinds: {KIND or "*": {in_app, email, min_amount?}}}`.
    static func preferences(_ fields: BodyFields) throws(APIError) -> (NotificationPreferences, email: String?) {
        var preferences = NotificationPreferences()
        if let value = fields.body["kinds"], value != .null {
            guard case .object(let pairs) = value, pairs.count <= 64 else { throw fields.invalid("kinds must be an object of at most 64 kinds") }
            for (kind, choice) in pairs {
                guard kind == "*" || NotificationKind.isValid(kind) else { throw fields.invalid("kinds: \(kind.prefix(64)) is not a kind (a-z, 0-9, _; or *)") }
                let choiceFields = try BodyFields(choice, errorCode: fields.errorCode)
                func flag(_ name: String, _ otherwise: Bool) throws(APIError) -> Bool {
                    guard let v = choiceFields.body[name], v != .null else { return otherwise }
                    guard case .bool(let b) = v else { throw fields.invalid("kinds.\(kind).\(name) must be true or false") }
                    return b
                }
                let minimum = try choiceFields.money("min_amount")
                if let minimum, minimum.minorUnits < 0 { throw fields.invalid("kinds.\(kind).min_amount must not be negative") }
                preferences.byKind[kind] = .init(inApp: try flag("in_app", true), email: try flag("email", false), minAmount: minimum)
            }
        }
        var email: String?
        if let value = fields.body["email"] {
            if value == .null {
                email = ""
            } else {
                let text = try fields.text("email", max: 254) ?? ""
                // As the mail server will be asked to take it (`SMTP.EmailAddress`: ASCII, one @, no spaces).
                guard text.isEmpty || EmailAddress(text) != nil else { throw fields.invalid("email is not an address (name@domain, ASCII, no spaces)") }
                email = text
            }
        }
        return (preferences, email)
    }

    static func post(_ fields: BodyFields) throws(APIError) -> PostNotification {
        let kind = try fields.required("kind", max: 64)
        guard NotificationKind.isValid(kind) else { throw fields.invalid("kind must be 1-64 of a-z, 0-9 and _, starting with a letter") }
        let title = try fields.text("title", max: 200)
        let message = try fields.text("message", max: 2000)
        return PostNotification(userId: try fields.required("user_id", max: 128), kind: kind, title: title, message: message,
                                amount: try fields.money("amount"), currency: try fields.text("currency", max: 8),
                                reference: try fields.text("reference", max: 256), link: try fields.text("link", max: 2048))
    }
}
