import Contracts
import Foundation
import Synchronization
import Testing

@testable import ConversationsService

@Suite("Callback channels: kept for a while per replica, dropped by channel writes")
struct CallbackChannelsTests {
    static func record(_ name: String) -> ChannelStore.Record {
        ChannelStore.Record(
            channel: Conversations.Channel(type: "whatsapp", name: name), id: UUID(), organizationID: UUID(),
            agentID: nil, secrets: ChannelSecretBox(config: nil))
    }

    @Test("a kept channel is reused until its time is up or a write drops it; unknown channels are not kept")
    func reuseExpiryAndDrop() async throws {
        let cache = CallbackChannels(lifetime: .milliseconds(300))
        let loads = Mutex(0)
        let id = UUID()
        func lookUp(_ name: String?) async throws -> String? {
            try await cache.channel(id) {
                loads.withLock { $0 += 1 }
                return name.map(Self.record)
            }?.channel.name
        }
        #expect(try await lookUp(nil) == nil)
        #expect(try await lookUp("first") == "first")
        #expect(try await lookUp("second") == "first")
        #expect(loads.withLock { $0 } == 2)
        cache.dropAll()
        #expect(try await lookUp("third") == "third")
        try await Task.sleep(for: .milliseconds(400))
        #expect(try await lookUp("fourth") == "fourth")
        #expect(loads.withLock { $0 } == 4)
    }

    @Test("a read under way while a write drops the channels is not kept")
    func readDuringWriteIsNotKept() async throws {
        let cache = CallbackChannels(lifetime: .seconds(60))
        let id = UUID()
        let stale = try await cache.channel(id) {
            cache.dropAll()
            return Self.record("before the write")
        }
        #expect(stale?.channel.name == "before the write")
        #expect(try await cache.channel(id) { Self.record("after the write") }?.channel.name == "after the write")
        #expect(try await cache.channel(id) { Self.record("not read") }?.channel.name == "after the write")
        #expect(try await CallbackChannels(lifetime: .zero).channel(id) { Self.record("a") } != nil)
    }

    @Test("web chat channels are kept by public id, apart from ids, and dropped with the rest")
    func webchatByPublicID() async throws {
        let cache = CallbackChannels(lifetime: .seconds(60))
        let loads = Mutex(0)
        func lookUp(_ publicID: String, _ name: String) async throws -> String? {
            try await cache.webchat(publicID: publicID) {
                loads.withLock { $0 += 1 }
                return Self.record(name)
            }?.channel.name
        }
        #expect(try await lookUp("wc_a", "site a") == "site a")
        #expect(try await lookUp("wc_a", "not read") == "site a")
        #expect(try await lookUp("wc_b", "site b") == "site b")
        #expect(loads.withLock { $0 } == 2)
        cache.dropAll()
        #expect(try await lookUp("wc_a", "site a, renamed") == "site a, renamed")
        #expect(loads.withLock { $0 } == 3)
    }
}
