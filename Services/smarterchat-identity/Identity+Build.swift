import Cryptography
import Foundation
import Logging
import Postgres
import ServiceKit

/// The identity service: its contract, its migrations (schema `identity`), its handlers and
/// an hourly purge of expired sessions and old login attempts.
func identityService(configuration: IdentityConfiguration = IdentityConfiguration()) -> DomainService {
    DomainService(.identity, migrations: Bundle.module.url(forResource: "Migrations", withExtension: nil)!) {
        environment in
        let keyRing = try environment.configuration.encryptionKeys.map { try KeyRing(configuration: $0) }
        try IdentityHandlers(configuration: configuration, database: environment.database, keyRing: keyRing)
            .register(on: environment.router)
        let database = environment.database, logger = environment.logger
        let retention = ScheduledJob(
            name: "identity-retention", every: .seconds(3600), state: environment.state, logger: logger
        ) {
            let purged = try await database.withConnection { try await IdentityRetention.purge(on: $0) }
            if purged.attempts + purged.sessions > 0 {
                logger.info(
                    "purged expired login data",
                    metadata: ["identity.attempts": "\(purged.attempts)", "identity.sessions": "\(purged.sessions)"])
            }
        }
        return [retention, environment.outboxRelay()]
    }
}
