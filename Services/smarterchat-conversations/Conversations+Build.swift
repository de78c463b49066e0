import Foundation
import ServiceKit

/// The conversations service: its contract, its migrations (schema `conversations`) and its handlers.
func conversationsService(delivery: DeliveryConfiguration = DeliveryConfiguration()) -> DomainService {
    DomainService(.conversations, migrations: Bundle.module.url(forResource: "Migrations", withExtension: nil)!) {
        environment in
        // The partitioned table's months are created ahead of the rows that need them.
        [environment.monthlyPartitionUpkeep()] + (try installChannelsAndIngest(environment))
            + (try installInboxAndDelivery(environment, delivery: delivery))
    }
}
