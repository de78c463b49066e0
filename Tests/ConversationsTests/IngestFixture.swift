import Contracts
import Cryptography
import Foundation
import Logging
import Postgres
import RPC
import Synchronization
import TestSupport

@testable import ConversationsService

/// The channel, callback, web chat and live feed handlers over a real, migrated
/// `conversations` schema, called through ``RPCInProcessClient``, with in-process fakes of
/// crm (`FindOrCreateLead`: one lead per organization and contact) and identity
/// (`GetPlanLimits`: a limit per organization, none by default).
///
/// One database per test process (``shared()``); tests stay apart by using organizations of
/// their own.
struct IngestFixture: Sendable {
    let database: PostgresClient
    let client: RPCInProcessClient
    let crm: FakeCRM
    let identity: FakeIdentity
    let retention: RetentionSettingsRecorder

    static func shared() async throws -> IngestFixture {
        try await SharedIngestDatabase.instance.fixture()
    }

    /// An admin principal of a new organization.
    static func newAdmin(role: String = "admin") -> Principal {
        Principal(organizationId: UUID().lowercased, userId: UUID().lowercased, role: role)
    }

    /// The same organization, another user with `role`.
    static func colleague(of principal: Principal, role: String) -> Principal {
        Principal(organizationId: principal.organizationId, userId: UUID().lowercased, role: role)
    }

    func call<Input, Output>(
        _ method: MethodDescriptor<Input, Output>, _ request: Input, as principal: Principal = Principal()
    ) async throws -> Output {
        try await client.call(
            method, request, metadata: CallMetadata(requestID: "test", caller: "gateway", principal: principal),
            timeout: .seconds(60))
    }

    /// The status an RPC failed with, or nil when it succeeded.
    func failure<Output: Sendable>(_ body: () async throws -> Output) async -> RPCError.Code? {
        do {
            _ = try await body()
            return nil
        } catch let error as RPCError {
            return error.code
        } catch {
            return .unknown
        }
    }

    /// A WhatsApp channel of `principal`'s organization with app secret `appSecret`.
    func whatsAppChannel(
        for principal: Principal, appSecret: String = "app-secret", verifyToken: String = "verify-me",
        phoneNumberID: String = "106540352242922"
    ) async throws -> Conversations.Channel {
        try await call(
            Conversations.Service.createChannel,
            Conversations.CreateChannelRequest(
                type: "whatsapp", name: "Sales WhatsApp", agentId: UUID().lowercased, phoneNumber: "15550783881",
                phoneNumberId: phoneNumberID,
                config: Conversations.ChannelSecrets(
                    accessToken: "EAAG-access", appSecret: appSecret, verifyToken: verifyToken)),
            as: principal)
    }

    /// An Instagram channel of `principal`'s organization with app secret `ig-secret`.
    func instagramChannel(for principal: Principal) async throws -> Conversations.Channel {
        try await call(
            Conversations.Service.createChannel,
            Conversations.CreateChannelRequest(
                type: "instagram", name: "IG", agentId: UUID().lowercased, instagramAccountId: "17841400000000000",
                config: Conversations.ChannelSecrets(accessToken: "IGQ", appSecret: "ig-secret", verifyToken: "v")),
            as: principal)
    }

    /// `X-Hub-Signature-256` of `body` under `secret`.
    static func signature(_ body: String, secret: String) -> String {
        "sha256=" + Hex.encode(Digest.hmac(.sha256, key: Array(secret.utf8), message: Array(body.utf8)))
    }

    /// Posts `body` to the channel's callback, signed with `secret` unless `signature` is given.
    func deliver(
        _ body: String, to channel: Conversations.Channel, secret: String = "app-secret", signature: String? = nil,
        secretToken: String = ""
    ) async throws -> Conversations.IngestWebhookResponse {
        try await call(
            Conversations.Service.ingestWebhook,
            Conversations.IngestWebhookRequest(
                channelType: channel.type, channelId: channel.id, rawBody: Data(body.utf8),
                signature: signature ?? Self.signature(body, secret: secret), secretToken: secretToken))
    }

    /// One integer from SQL (`SELECT ... AS n`).
    func count(_ query: PostgresQuery, _ binds: [any PostgresEncodable]) async throws -> Int {
        Int(try await database.query(query, binds).firstRow?.decode(Int64.self, "n") ?? 0)
    }
}

/// crm's FindOrCreateLead: one lead id per (organization, contact), remembered.
final class FakeCRM: Sendable {
    let leads = Mutex<[String: String]>([:])
    let calls = Atomic<Int>(0)

    func register(on router: RPCRouter) {
        router.register(CRM.Service.findOrCreateLead) { request, _ in
            self.calls.wrappingAdd(1, ordering: .relaxed)
            let key = "\(request.organizationId)|\(request.phone)|\(request.platformUserId)"
            let (id, created) = self.leads.withLock { leads -> (String, Bool) in
                if let id = leads[key] { return (id, false) }
                let id = UUID().lowercased
                leads[key] = id
                return (id, true)
            }
            return CRM.FindOrCreateLeadResponse(
                lead: CRM.Lead(id: id, organizationId: request.organizationId, name: request.name), created: created)
        }
    }
}

/// identity's GetPlanLimits with a max_conversations_per_month per organization (0: none),
/// and GetOrganizationSettings with a settings JSON per organization (`{}` by default).
final class FakeIdentity: Sendable {
    let limits = Mutex<[String: Int32]>([:])
    let settings = Mutex<[String: String]>([:])

    func register(on router: RPCRouter) {
        router.register(Identity.Service.getPlanLimits) { request, _ in
            Identity.GetPlanLimitsResponse(
                organizationId: request.organizationId, plan: "starter", status: "active",
                maxConversationsPerMonth: self.limits.withLock { $0[request.organizationId] ?? 0 })
        }
        router.register(Identity.Service.getOrganizationSettings) { _, context in
            Identity.OrganizationSettings(
                settings: self.settings.withLock { $0[context.metadata.principal.organizationId] ?? "{}" },
                branding: "{}")
        }
        router.register(Identity.Service.listMessageRetention) { _, _ in
            Identity.ListMessageRetentionResponse(
                organizations: self.settings.withLock { $0 }.compactMap { organization, settings in
                    RetentionSettingsRecorder.days(fromSettings: settings).map {
                        Identity.MessageRetention(organizationId: organization, days: Int32($0))
                    }
                })
        }
    }
}

/// Builds the test database once per process and the handlers over it.
actor SharedIngestDatabase {
    static let instance = SharedIngestDatabase()
    private var building: Task<IngestFixture, any Error>?

    func fixture() async throws -> IngestFixture {
        if let building { return try await building.value }
        let task = Task { try await Self.build() }
        building = task
        return try await task.value
    }

    private static func build() async throws -> IngestFixture {
        let logger = Logger(label: "ConversationsTests")
        let server = try await TemporaryPostgres.shared()
        let database = try await server.migratedServiceDatabase(
            service: "conversations", poolSize: 24, logger: logger)
        let keyRing = try KeyRing(configuration: "test:\(Base64.encode(SecureRandom.bytes(count: 32)))")

        let crm = FakeCRM()
        let crmRouter = RPCRouter(service: CRM.Service.descriptor)
        crm.register(on: crmRouter)
        let identity = FakeIdentity()
        let identityRouter = RPCRouter(service: Identity.Service.descriptor)
        identity.register(on: identityRouter)

        let signal = EventSignal(database: database, state: nil, logger: logger, pollInterval: .milliseconds(200))
        Task { try await signal.run() }
        let ingest = InboundIngest(
            database: database, crm: RPCInProcessClient(router: crmRouter),
            planLimits: PlanLimitCache(
                identity: RPCInProcessClient(router: identityRouter), lifetime: .zero, logger: logger),
            logger: logger)
        let router = RPCRouter(service: Conversations.Service.descriptor)
        let retention = RetentionSettingsRecorder(
            identity: RPCInProcessClient(router: identityRouter), database: database, interval: .zero)
        // One replica's callback channels, kept as in production and dropped by channel writes.
        let callbackChannels = CallbackChannels()
        ChannelHandlers(
            database: database, keyRing: keyRing, agents: nil, logger: logger, retention: retention,
            callbackChannels: callbackChannels
        ).register(on: router)
        WebhookHandlers(
            database: database, keyRing: keyRing, ingest: ingest, logger: logger, channels: callbackChannels
        ).register(on: router)
        WebchatHandlers(database: database, ingest: ingest, signal: signal, channels: callbackChannels).register(
            on: router)
        LiveFeedHandlers(database: database, signal: signal).register(on: router)
        return IngestFixture(
            database: database, client: RPCInProcessClient(router: router), crm: crm, identity: identity,
            retention: retention)
    }
}
