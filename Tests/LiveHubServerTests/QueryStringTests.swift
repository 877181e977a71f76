import Testing
@testable import LiveHubServer

@Suite("Query strings")
struct QueryStringTests {
    @Test(arguments: ["", "sid=abc", "a=1&b=x%20y", "email=ann%40shop.test", "name=%C3%A9", "flag", "a=&b="])
    func whatDecodesIsWellFormed(_ query: String) {
        #expect(QueryString.isWellFormed(query[...]))
    }

    @Test(arguments: ["user_id=u%00x", "user_id=%", "user_id=%4", "a=1&b=%zz", "name=%C3", "%00=1", "name=\u{e9}x%C3"])
    func aBadEscapeInvalidUTF8OrANulIsNot(_ query: String) {
        #expect(!QueryString.isWellFormed(query[...]))
        #expect(QueryString.percentDecode("u%00x") == nil)
    }
}
