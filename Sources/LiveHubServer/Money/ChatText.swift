/// Alert texts as a chat shows them, made inert: an alert carries text from outside (a
/// payment reference, an email, a provider's error message, even an unsigned delivery's
/// claims), and a chat reads markup in it. Nothing in it may ping a channel, format itself
/// or become a link: Discord's `allowed_mentions: {"parse": []}` stops every mention
/// (discord.com/developers/docs/resources/message#allowed-mentions-object), Markdown is
/// backslash-escaped, and Slack's control characters `&`, `<`, `>` become entities
/// (api.slack.com/reference/surfaces/formatting#escaping), which turns `<!channel>`,
/// `<@U…>` and `<url|text>` into plain text. A URL in either is defanged (`://` broken
/// by a zero-width space) so neither chat links it.
enum ChatText {
    /// The longest text an alert sends (Discord's `content` takes 2,000 characters).
    static let maxCharacters = 1_500

    static func discord(_ text: String) -> String {
        var out = ""
        for character in defanged(text) {
            if "\\*_~`|[]<".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    static func slack(_ text: String) -> String {
        var out = ""
        for character in defanged(text) {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            // Slack's mrkdwn has no escape for these: a zero-width space after each keeps
            // a pair from enclosing bold, italic, strike or code.
            case "*", "_", "~", "`": out.append(character); out.append("\u{200B}")
            default: out.append(character)
            }
        }
        return out
    }

    /// One line (so no outside text starts a heading, a quote or a list), `://` broken and
    /// `@everyone`-style words split, whatever the chat; cut to `maxCharacters`.
    static func defanged(_ text: String) -> String {
        var text = String(text.map { $0.isNewline ? " " : $0 })
        if text.count > maxCharacters { text = String(text.prefix(maxCharacters)) + "…" }
        text = text.replacingOccurrences(of: "://", with: ":\u{200B}//")
        for word in ["@everyone", "@here", "@channel"] {
            text = text.replacingOccurrences(of: word, with: "@\u{200B}" + word.dropFirst())
        }
        return text
    }
}

private extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
