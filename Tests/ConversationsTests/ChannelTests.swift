import Contracts
import Foundation
import Postgres
import RPC
import Testing

@testable import ConversationsService

@Suite("Channels: CRUD, sealed secrets, permissions and tenant isolation")
struct ChannelTests {
    @Test("a WhatsApp channel keeps its secrets sealed and shows only that they are set")
    func createShowsOnlyWhichSecretsAreSet() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.whatsAppChannel(for: admin, appSecret: "s3cret-app", verifyToken: "v3rify")
        #expect(channel.type == "whatsapp" && channel.status == "active")
        let set = try #require(channel.config)
        #expect(set.accessTokenSet && set.appSecretSet && set.verifyTokenSet)
        #expect(!set.botTokenSet && !set.secretTokenSet)
        #expect(channel.webhookUrl == "/webhooks/whatsapp/\(channel.id)")
        #expect(channel.publicId.isEmpty)
        let stored = try await fixture.database.query(
            "SELECT config::text AS config FROM channels WHERE id = $1", [UUID(uuidString: channel.id)!])
        let config = try stored.firstRow!.decode(String.self, "config")
        #expect(config.contains("access_token") && config.contains("app_secret"))
        #expect(!config.contains("s3cret-app") && !config.contains("v3rify") && !config.contains("EAAG-access"))

        let read = try await fixture.call(
            Conversations.Service.getChannel, Conversations.GetChannelRequest(channelId: channel.id), as: admin)
        #expect(read.id == channel.id && read.config?.appSecretSet == true)
        let listed = try await fixture.call(
            Conversations.Service.listChannels, Conversations.ListChannelsRequest(), as: admin)
        #expect(listed.channels.map(\.id) == [channel.id])
    }

    @Test("another organization's channel answers NOT_FOUND for every method")
    func tenantIsolation() async throws {
        let fixture = try await IngestFixture.shared()
        let owner = IngestFixture.newAdmin()
        let channel = try await fixture.whatsAppChannel(for: owner)
        let stranger = IngestFixture.newAdmin()
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.getChannel, Conversations.GetChannelRequest(channelId: channel.id),
                    as: stranger)
            } == .notFound)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.updateChannel,
                    Conversations.UpdateChannelRequest(channelId: channel.id, name: "mine now"), as: stranger)
            } == .notFound)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.deleteChannel, Conversations.DeleteChannelRequest(channelId: channel.id),
                    as: stranger)
            } == .notFound)
        let listed = try await fixture.call(
            Conversations.Service.listChannels, Conversations.ListChannelsRequest(), as: stranger)
        #expect(listed.channels.isEmpty)
    }

    @Test("a consultant reads channels but may not create, change or delete them")
    func consultantCannotManage() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.whatsAppChannel(for: admin)
        let consultant = IngestFixture.colleague(of: admin, role: "consultant")
        let listed = try await fixture.call(
            Conversations.Service.listChannels, Conversations.ListChannelsRequest(), as: consultant)
        #expect(listed.channels.count == 1)
        #expect(await fixture.failure { try await fixture.whatsAppChannel(for: consultant) } == .permissionDenied)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.deleteChannel, Conversations.DeleteChannelRequest(channelId: channel.id),
                    as: consultant)
            } == .permissionDenied)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.listChannels, Conversations.ListChannelsRequest(), as: Principal())
            } == .unauthenticated)
    }

    @Test(
        "bad input is refused with INVALID_ARGUMENT",
        arguments: [
            Conversations.CreateChannelRequest(type: "fax", name: "x", agentId: UUID().uuidString),
            Conversations.CreateChannelRequest(type: "webchat", name: "", agentId: UUID().uuidString),
            Conversations.CreateChannelRequest(type: "webchat", name: "chat", agentId: "not-a-uuid"),
            Conversations.CreateChannelRequest(
                type: "whatsapp", name: "no secrets", agentId: UUID().uuidString, phoneNumberId: "1"),
            Conversations.CreateChannelRequest(
                type: "telegram", name: "bad token", agentId: UUID().uuidString,
                config: Conversations.ChannelSecrets(botToken: "1:abc", secretToken: "has spaces")),
            Conversations.CreateChannelRequest(
                type: "webchat", name: "chat", agentId: UUID().uuidString, allowedOrigins: ["javascript:alert(1)"]),
        ])
    func badInput(request: Conversations.CreateChannelRequest) async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        #expect(
            await fixture.failure { try await fixture.call(Conversations.Service.createChannel, request, as: admin) }
                == .invalidArgument)
    }

    @Test("updating replaces a secret, an empty value cannot remove a required one, delete hides the channel")
    func updateAndDelete() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.whatsAppChannel(for: admin, appSecret: "old-secret")
        let updated = try await fixture.call(
            Conversations.Service.updateChannel,
            Conversations.UpdateChannelRequest(
                channelId: channel.id, name: "Renamed", status: "inactive",
                config: Conversations.ChannelSecrets(appSecret: "new-secret")), as: admin)
        #expect(updated.name == "Renamed" && updated.status == "inactive" && updated.config?.appSecretSet == true)
        let body = #"{"object":"whatsapp_business_account","entry":[]}"#
        #expect(
            await fixture.failure { try await fixture.deliver(body, to: channel, secret: "old-secret") }
                == .unauthenticated)
        _ = try await fixture.deliver(body, to: channel, secret: "new-secret")
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.updateChannel,
                    Conversations.UpdateChannelRequest(
                        channelId: channel.id, config: Conversations.ChannelSecrets(appSecret: "")), as: admin)
            } == .invalidArgument)
        _ = try await fixture.call(
            Conversations.Service.deleteChannel, Conversations.DeleteChannelRequest(channelId: channel.id), as: admin)
        #expect(
            await fixture.failure {
                try await fixture.call(
                    Conversations.Service.getChannel, Conversations.GetChannelRequest(channelId: channel.id), as: admin)
            } == .notFound)
        #expect(
            await fixture.failure { try await fixture.deliver(body, to: channel, secret: "new-secret") } == .notFound)
    }

    @Test("a web chat channel gets an unguessable public id and needs no secrets")
    func webchatPublicID() async throws {
        let fixture = try await IngestFixture.shared()
        let admin = IngestFixture.newAdmin()
        let channel = try await fixture.call(
            Conversations.Service.createChannel,
            Conversations.CreateChannelRequest(
                type: "webchat", name: "Site chat", agentId: UUID().lowercased,
                allowedOrigins: ["https://shop.example.com"]), as: admin)
        #expect(channel.publicId.hasPrefix("wc_") && channel.publicId.count > 20)
        #expect(channel.webhookUrl == "/webchat/\(channel.publicId)")
        #expect(channel.allowedOrigins == ["https://shop.example.com"])
    }
}
