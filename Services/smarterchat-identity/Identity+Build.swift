import Foundation
import ServiceKit

/// The identity service: its contract, its migrations (schema `identity`) and its handlers.
func identityService() -> DomainService {
    DomainService(.identity, migrations: Bundle.module.url(forResource: "Migrations", withExtension: nil)!)
}
