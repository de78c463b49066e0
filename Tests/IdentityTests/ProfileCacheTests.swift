import Contracts
import Foundation
import Testing

@testable import IdentityService

@Suite("GetMe answers are cached for at most a second and dropped by any change")
struct ProfileCacheTests {
    let user = UUID()

    func response(_ name: String) -> Identity.GetMeResponse {
        Identity.GetMeResponse(user: Identity.User(id: user.uuidString.lowercased(), fullName: name))
    }

    @Test("an answer is reused until it expires")
    func expiry() async throws {
        let cache = ProfileCache()
        cache.store(response("Ada"), for: user, generation: cache.generation)
        #expect(cache.answer(for: user)?.user?.fullName == "Ada")
        #expect(cache.answer(for: UUID()) == nil)
        try await Task.sleep(for: ProfileCache.maxAge + .milliseconds(50))
        #expect(cache.answer(for: user) == nil)
    }

    @Test("past half its life an answer is still served and one caller is told to refresh it")
    func refreshAhead() async throws {
        // A long life, so that a slow machine's late wake-up cannot expire it in the test.
        let cache = ProfileCache(lifetime: .seconds(6))
        cache.store(response("Ada"), for: user, generation: cache.generation)
        guard case .fresh(let young) = cache.lookup(user) else {
            Issue.record("a new answer is fresh")
            return
        }
        #expect(young.user?.fullName == "Ada")
        try await Task.sleep(for: cache.lifetime / 2 + .milliseconds(100))
        guard case .stale(let old, let generation) = cache.lookup(user) else {
            Issue.record("past half its life the first caller refreshes")
            return
        }
        #expect(old.user?.fullName == "Ada")
        // Only one refresh at a time: the others keep getting the answer.
        guard case .fresh = cache.lookup(user) else {
            Issue.record("a second caller does not refresh too")
            return
        }
        // A failed refresh lets the next caller try; a stored one is fresh again.
        cache.refreshFailed(for: user)
        guard case .stale = cache.lookup(user) else {
            Issue.record("after a failed refresh the next caller refreshes")
            return
        }
        cache.store(response("Ada Lovelace"), for: user, generation: generation)
        guard case .fresh(let renewed) = cache.lookup(user) else {
            Issue.record("a refreshed answer is fresh")
            return
        }
        #expect(renewed.user?.fullName == "Ada Lovelace")
    }

    @Test("a change drops every answer, and an answer computed across a change is not kept")
    func invalidation() {
        let cache = ProfileCache()
        cache.store(response("Ada"), for: user, generation: cache.generation)
        cache.invalidateAll()
        #expect(cache.answer(for: user) == nil)
        let before = cache.generation
        cache.invalidateAll()  // a write ran while the answer was being read
        cache.store(response("stale"), for: user, generation: before)
        #expect(cache.answer(for: user) == nil)
    }

    @Test("through the handlers, an edit shows at once in GetMe on the same replica")
    func editShowsAtOnce() async throws {
        let fixture = try await IdentityFixture.shared()
        let signUp = try await fixture.signUp().response
        let principal = try await fixture.principal(for: signUp.tokens!.accessToken)
        let first = try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: principal)
        #expect(first.user?.fullName == "Ada Admin" && first.organization?.slug == signUp.organization?.slug)
        _ = try await fixture.call(
            Identity.Service.updateMe, Identity.UpdateMeRequest(fullName: "Ada Lovelace"), as: principal)
        let second = try await fixture.call(Identity.Service.getMe, Identity.GetMeRequest(), as: principal)
        #expect(second.user?.fullName == "Ada Lovelace")
    }
}
