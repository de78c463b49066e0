import Foundation
import ServiceKit

/// The identity service: its contract, its migrations (schema `identity`) and its handlers.
func identityService(configuration: IdentityConfiguration = IdentityConfiguration()) -> DomainService {
    DomainService(.identity, migrations: Bundle.module.url(forResource: "Migrations", withExtension: nil)!) {
        environment in
        try IdentityHandlers(configuration: configuration, database: environment.database)
            .register(on: environment.router)
        return []
    }
}
