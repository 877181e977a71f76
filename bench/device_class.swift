// DeviceClass.init(userAgent:) as the Hub module has it (71019be), against the same rules
// on UTF-8 bytes: instructions per call, counted by callgrind (issue 32, BENCHMARKS.md
// "The shop's day"). The Hub module imports Foundation (EmailKey.swift), so its
// `String.contains(String)` is Foundation's; this file imports it too.
//   swiftc -O bench/device_class.swift -o /tmp/device-class
//   valgrind --tool=callgrind --callgrind-out-file=/tmp/dc.out /tmp/device-class 1000
//   callgrind_annotate --inclusive=yes /tmp/dc.out | swift demangle --simplified | grep -E 'current|bytes'
// Each function is called 1,005 times (1,000 + the 5 checks), over 5 User-Agents.
import Foundation  // as the Hub module does (EmailKey.swift): String.contains(String) is Foundation's

enum DeviceClass: UInt8 { case desktop = 0, mobile, tablet, bot }
let botMarks = ["bot", "crawl", "spider", "slurp", "headlesschrome", "phantomjs", "lighthouse", "curl/", "wget/", "python-",
                "httpclient", "okhttp", "go-http-client", "java/", "libwww", "facebookexternalhit", "preview", "monitor", "scrapy"]

@inline(never) func current(_ userAgent: String?) -> DeviceClass {  // Sources/Hub/ShopDay/DeviceClass.swift as it is
    guard let userAgent, !userAgent.isEmpty else { return .bot }
    let text = userAgent.lowercased()
    if botMarks.contains(where: { text.contains($0) }) { return .bot }
    if text.contains("ipad") || text.contains("tablet") || (text.contains("android") && !text.contains("mobile")) { return .tablet }
    if text.contains("mobi") || text.contains("iphone") || text.contains("ipod") || text.contains("android") { return .mobile }
    return .desktop
}

// The same rules on ASCII-lowercased UTF-8 bytes: no Foundation, no grapheme breaking.
let botMarkBytes = botMarks.map { Array($0.utf8) }
@inline(__always) func has(_ text: [UInt8], _ mark: [UInt8]) -> Bool {
    guard mark.count <= text.count, let first = mark.first else { return false }
    var i = 0
    let last = text.count - mark.count
    while i <= last {
        if text[i] == first {
            var k = 1
            while k < mark.count && text[i + k] == mark[k] { k += 1 }
            if k == mark.count { return true }
        }
        i += 1
    }
    return false
}
let ipad = Array("ipad".utf8), tablet = Array("tablet".utf8), android = Array("android".utf8), mobile = Array("mobile".utf8),
    mobi = Array("mobi".utf8), iphone = Array("iphone".utf8), ipod = Array("ipod".utf8)
@inline(never) func bytes(_ userAgent: String?) -> DeviceClass {
    guard let userAgent, !userAgent.isEmpty else { return .bot }
    let text = userAgent.utf8.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
    if botMarkBytes.contains(where: { has(text, $0) }) { return .bot }
    if has(text, ipad) || has(text, tablet) || (has(text, android) && !has(text, mobile)) { return .tablet }
    if has(text, mobi) || has(text, iphone) || has(text, ipod) || has(text, android) { return .mobile }
    return .desktop
}

let agents = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
              "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
              "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
              "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
              "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"]
let n = Int(CommandLine.arguments[1])!
var a = 0, b = 0
for i in 0..<n { a &+= Int(current(agents[i % agents.count]).rawValue) }
for i in 0..<n { b &+= Int(bytes(agents[i % agents.count]).rawValue) }
for ua in agents { precondition(current(ua) == bytes(ua)) }
print(a, b)
