import Foundation
import ServiceKit

/// The analytics service: its contract, its migrations (schema `analytics`) and its handlers.
func analyticsService() -> DomainService {
    DomainService(.analytics, migrations: Bundle.module.url(forResource: "Migrations", withExtension: nil)!) {
        environment in
        EventIngest(database: environment.database).register(on: environment.router)
        // The partitioned table's months are created ahead of the rows that need them.
        return [environment.monthlyPartitionUpkeep()]
    }
}
