import ArgumentParser
import Glibc
import HTTPClient
import LiveHubServer

/// The providers' APIs (reconciliation): where they are, the keys, the pace. Each key from
/// its flag, its `-file` (first line), or the environment (`LIVEHUB_STRIPE_API_KEY`, …);
/// none is ever printed or logged.
struct ProviderOptions: ParsableArguments {
    @Option(help: "Paystack's API (reconciliation; the key is --paystack-secret). http:// only on loopback.") var paystackApiUrl = "https://api.paystack.co"
    @Option(help: "Stripe's API. http:// only on loopback.") var stripeApiUrl = "https://api.stripe.com"
    @Option(help: "NOWPayments' API. http:// only on loopback.") var nowpaymentsApiUrl = "https://api.nowpayments.io"
    @Option(help: "M-Pesa Daraja's API. http:// only on loopback.") var mpesaApiUrl = "https://api.safaricom.co.ke"
    @Option(help: "Stripe secret API key (Bearer), to list undelivered events and read payments. Or LIVEHUB_STRIPE_API_KEY.") var stripeApiKey: String?
    @Option(help: "A file whose first line is --stripe-api-key.") var stripeApiKeyFile: String?
    @Option(help: "NOWPayments API key (x-api-key). Or LIVEHUB_NOWPAYMENTS_API_KEY.") var nowpaymentsApiKey: String?
    @Option(help: "A file whose first line is --nowpayments-api-key.") var nowpaymentsApiKeyFile: String?
    @Option(help: "Daraja consumer key (OAuth). Or LIVEHUB_MPESA_CONSUMER_KEY.") var mpesaConsumerKey: String?
    @Option(help: "A file whose first line is --mpesa-consumer-key.") var mpesaConsumerKeyFile: String?
    @Option(help: "Daraja consumer secret. Or LIVEHUB_MPESA_CONSUMER_SECRET.") var mpesaConsumerSecret: String?
    @Option(help: "A file whose first line is --mpesa-consumer-secret.") var mpesaConsumerSecretFile: String?
    @Option(help: "The M-Pesa business short code (STK query). Or LIVEHUB_MPESA_SHORTCODE.") var mpesaShortcode: String?
    @Option(help: "The Lipa Na M-Pesa passkey (STK query password). Or LIVEHUB_MPESA_PASSKEY.") var mpesaPasskey: String?
    @Option(help: "A file whose first line is --mpesa-passkey.") var mpesaPasskeyFile: String?
    @Option(parsing: .unconditional, help: "A payment not settled this long after it was first seen is asked about at its provider (then after 3x, 12x, 72x it).") var reconcileAfter = "10m"
    @Option(parsing: .unconditional, help: "How often payments due a question are looked for.") var reconcileInterval = "1m"
    @Option(parsing: .unconditional, help: "At most this many questions a minute to each provider.") var reconcileCallsPerMinute = 60
    @Option(parsing: .unconditional, help: "How often the providers' lists (Paystack's successful transactions, Stripe's undelivered events) are read for payments we never saw.") var reconcileListInterval = "1h"

    func apply(to settings: inout ProviderAPISettings) throws {
        settings.paystackURL = try Self.url(paystackApiUrl, "--paystack-api-url")
        settings.stripeURL = try Self.url(stripeApiUrl, "--stripe-api-url")
        settings.nowpaymentsURL = try Self.url(nowpaymentsApiUrl, "--nowpayments-api-url")
        settings.mpesaURL = try Self.url(mpesaApiUrl, "--mpesa-api-url")
        settings.stripeAPIKey = try Self.key(stripeApiKey, stripeApiKeyFile, "--stripe-api-key", "LIVEHUB_STRIPE_API_KEY")
        settings.nowpaymentsAPIKey = try Self.key(nowpaymentsApiKey, nowpaymentsApiKeyFile, "--nowpayments-api-key", "LIVEHUB_NOWPAYMENTS_API_KEY")
        settings.mpesaConsumerKey = try Self.key(mpesaConsumerKey, mpesaConsumerKeyFile, "--mpesa-consumer-key", "LIVEHUB_MPESA_CONSUMER_KEY")
        settings.mpesaConsumerSecret = try Self.key(mpesaConsumerSecret, mpesaConsumerSecretFile, "--mpesa-consumer-secret", "LIVEHUB_MPESA_CONSUMER_SECRET")
        settings.mpesaShortcode = try Self.key(mpesaShortcode, nil, "--mpesa-shortcode", "LIVEHUB_MPESA_SHORTCODE")
        settings.mpesaPasskey = try Self.key(mpesaPasskey, mpesaPasskeyFile, "--mpesa-passkey", "LIVEHUB_MPESA_PASSKEY")
        if let code = settings.mpesaShortcode, !(1...12).contains(code.count) || !code.allSatisfy({ $0.isASCII && $0.isNumber }) {
            throw ValidationError("--mpesa-shortcode: expected the business short code's digits")
        }
        settings.reconcileAfter = try Serve.duration(reconcileAfter, "--reconcile-after")
        settings.reconcileInterval = try Serve.duration(reconcileInterval, "--reconcile-interval")
        settings.listInterval = try Serve.duration(reconcileListInterval, "--reconcile-list-interval")
        guard (1...6000).contains(reconcileCallsPerMinute) else { throw ValidationError("--reconcile-calls-per-minute: expected 1 to 6000") }
        settings.callsPerMinute = reconcileCallsPerMinute
    }

    /// https://, or http:// to this machine only (a local fake or proxy): a key sent in
    /// clear across a network is a key given away.
    static func url(_ text: String, _ flag: String) throws -> String {
        guard let url = OutgoingURL(text) else { throw ValidationError("\(flag): expected an https:// URL, got \(text)") }
        guard url.isTLS || ["127.0.0.1", "localhost", "::1"].contains(url.host) else {
            throw ValidationError("\(flag): http:// is for loopback only (127.0.0.1, localhost, ::1); use https://")
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    static func key(_ value: String?, _ file: String?, _ flag: String, _ variable: String) throws -> String? {
        if let given = try Serve.secret(value, file, flag), !given.isEmpty { return given }
        guard let raw = getenv(variable) else { return nil }
        let fromEnvironment = String(cString: raw)
        return fromEnvironment.isEmpty ? nil : fromEnvironment
    }
}
