import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import IdentityService

@Suite("Users edit their own profile")
struct ProfileTests {
    @Test("full name and avatar change; absent fields stay; bad values are INVALID_ARGUMENT")
    func updateProfile() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let me = try await fixture.principal(for: signUp.tokens!.accessToken)
        let renamed = try await fixture.call(
            Identity.Service.updateMe, Identity.UpdateMeRequest(fullName: "  Ada Lovelace "), as: me)
        #expect(renamed.user?.fullName == "Ada Lovelace" && renamed.user?.avatarUrl == "")
        let avatar = try await fixture.call(
            Identity.Service.updateMe, Identity.UpdateMeRequest(avatarUrl: "https://example.com/a.png"), as: me)
        #expect(avatar.user?.fullName == "Ada Lovelace" && avatar.user?.avatarUrl == "https://example.com/a.png")
        let cleared = try await fixture.call(Identity.Service.updateMe, Identity.UpdateMeRequest(avatarUrl: ""), as: me)
        #expect(cleared.user?.avatarUrl == "")
        for request in [
            Identity.UpdateMeRequest(fullName: " "), Identity.UpdateMeRequest(avatarUrl: "javascript:alert(1)"),
        ] {
            #expect(
                await fixture.failure { try await fixture.call(Identity.Service.updateMe, request, as: me) }
                    == .invalidArgument)
        }
    }

    /// The preferences `text` as an object (identity answers jsonb output).
    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func patch(_ text: String) -> Identity.UpdateMeRequest {
        Identity.UpdateMeRequest(preferencesJson: text)
    }

    @Test("preferences start empty; a patch sets, merges shallowly, and a null member removes one")
    func preferencesMerge() async throws {
        let fixture = try await IdentityFixture.shared()
        let me = try await fixture.principal(for: try await fixture.signUp().response.tokens!.accessToken)
        // Read first, so that a stale cached GetMe would show below.
        let initial = try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: me)
        #expect(try Self.object(initial.preferencesJson).isEmpty)

        let set = try await fixture.call(
            Identity.Service.updateMe, Self.patch(#"{"theme":"dark","inbox":{"density":"compact","sound":true}}"#),
            as: me)
        #expect(set.user?.fullName == "Ada Admin")
        #expect(try Self.object(set.preferencesJson)["theme"] as? String == "dark")
        let merged = try await fixture.call(
            Identity.Service.updateMe, Self.patch(#"{"language":"pt-BR","inbox":{"sound":false}}"#), as: me)
        let mergedObject = try Self.object(merged.preferencesJson)
        #expect(mergedObject["theme"] as? String == "dark" && mergedObject["language"] as? String == "pt-BR")
        // Shallow: a nested object is replaced whole.
        #expect((mergedObject["inbox"] as? [String: Any])?.keys.sorted() == ["sound"])

        let removed = try await fixture.call(
            Identity.Service.updateMe, Self.patch(#"{"theme":null,"absent":null}"#), as: me)
        #expect(try Self.object(removed.preferencesJson).keys.sorted() == ["inbox", "language"])
        let unchanged = try await fixture.call(
            Identity.Service.updateMe, Identity.UpdateMeRequest(fullName: "Ada L"), as: me)
        #expect(try Self.object(unchanged.preferencesJson).keys.sorted() == ["inbox", "language"])

        // GetMe shows the change at once (the cached answer was dropped by the update).
        let read = try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: me)
        #expect(try Self.object(read.preferencesJson).keys.sorted() == ["inbox", "language"])
        #expect(read.user?.fullName == "Ada L")
    }

    @Test(
        "preferences that are not a JSON object, or too large sent or merged, are INVALID_ARGUMENT and change nothing",
        arguments: ["[]", #""dark""#, "null", "42", "{", #"{"a":"\u0000"}"#])
    func preferencesRefused(_ text: String) async throws {
        let fixture = try await IdentityFixture.shared()
        let me = try await fixture.principal(for: try await fixture.signUp().response.tokens!.accessToken)
        _ = try await fixture.call(Identity.Service.updateMe, Self.patch(#"{"kept":1}"#), as: me)
        #expect(
            await fixture.failure { try await fixture.call(Identity.Service.updateMe, Self.patch(text), as: me) }
                == .invalidArgument)
        let read = try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: me)
        #expect(try Self.object(read.preferencesJson).keys.sorted() == ["kept"])
    }

    @Test("a patch over 16 KiB is refused; so is one whose merge would grow the preferences over 16 KiB")
    func preferencesSize() async throws {
        let fixture = try await IdentityFixture.shared()
        let me = try await fixture.principal(for: try await fixture.signUp().response.tokens!.accessToken)
        let limit = IdentityHandlers.maximumSettingsBytes
        let tooLarge = #"{"note":""# + String(repeating: "x", count: limit) + #""}"#
        #expect(
            await fixture.failure { try await fixture.call(Identity.Service.updateMe, Self.patch(tooLarge), as: me) }
                == .invalidArgument)
        // Two halves fit alone; together they are over the limit once merged.
        let half = String(repeating: "y", count: limit / 2)
        _ = try await fixture.call(Identity.Service.updateMe, Self.patch(#"{"a":""# + half + #""}"#), as: me)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Identity.Service.updateMe, Self.patch(#"{"b":""# + half + #"","c":1}"#), as: me)
            } == .invalidArgument)
        let read = try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: me)
        #expect(try Self.object(read.preferencesJson).keys.sorted() == ["a"])
        // Replacing the large member keeps it within the limit.
        let replaced = try await fixture.call(
            Identity.Service.updateMe, Self.patch(#"{"a":null,"b":""# + half + #""}"#), as: me)
        #expect(try Self.object(replaced.preferencesJson).keys.sorted() == ["b"])

        // Preferences over the limit stored some other way never block an edit that leaves them alone.
        try await fixture.database.execute(
            "UPDATE users SET preferences = jsonb_build_object('big', repeat('z', $2)) WHERE id = $1",
            [UUID(uuidString: me.userId)!, Int32(limit)])
        let renamed = try await fixture.call(
            Identity.Service.updateMe, Identity.UpdateMeRequest(fullName: "Still Ada"), as: me)
        #expect(renamed.user?.fullName == "Still Ada")
        #expect(
            await fixture.failure {
                try await fixture.call(Identity.Service.updateMe, Self.patch(#"{"c":1}"#), as: me)
            } == .invalidArgument)
    }

    @Test("a user's preferences are theirs alone: not in another user's GetMe, not in the user lists")
    func preferencesArePrivate() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let admin = try await fixture.principal(for: signUp.tokens!.accessToken)
        let member = try await UsersTests.member(of: signUp.organization!, role: "consultant", fixture: fixture)
        _ = try await fixture.call(Identity.Service.updateMe, Self.patch(#"{"secret_theme":"admin"}"#), as: admin)
        _ = try await fixture.call(Identity.Service.updateMe, Self.patch(#"{"own":"member"}"#), as: member)

        let memberMe = try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: member)
        #expect(try Self.object(memberMe.preferencesJson).keys.sorted() == ["own"])
        let adminMe = try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: admin)
        #expect(try Self.object(adminMe.preferencesJson).keys.sorted() == ["secret_theme"])
        // The user lists carry no preferences (User has no such field), whoever reads them.
        let listed = try await fixture.call(Identity.Service.listUsers, Identity.ListUsersRequest(), as: admin)
        #expect(!String(decoding: listed.jsonBytes, as: UTF8.self).contains("secret_theme"))
        #expect(!String(decoding: listed.jsonBytes, as: UTF8.self).contains("\"own\""))
    }
}
