/**
 * Azure region pairs (https://learn.microsoft.com/azure/reliability/cross-region-replication-azure).
 * Geo-redundant storage (GZRS) copies to the pair; any other location gets object replication.
 */
export const AZURE_PAIRS: Readonly<Record<string, string>> = {
  eastus: 'westus', westus: 'eastus', eastus2: 'centralus', centralus: 'eastus2',
  westus2: 'westcentralus', westcentralus: 'westus2', westus3: 'eastus',
  northcentralus: 'southcentralus', southcentralus: 'northcentralus',
  canadacentral: 'canadaeast', canadaeast: 'canadacentral', brazilsouth: 'southcentralus',
  northeurope: 'westeurope', westeurope: 'northeurope', uksouth: 'ukwest', ukwest: 'uksouth',
  francecentral: 'francesouth', germanywestcentral: 'germanynorth', switzerlandnorth: 'switzerlandwest',
  norwayeast: 'norwaywest', swedencentral: 'swedensouth', uaenorth: 'uaecentral', southafricanorth: 'southafricawest',
  centralindia: 'southindia', southindia: 'centralindia', westindia: 'southindia',
  eastasia: 'southeastasia', southeastasia: 'eastasia', japaneast: 'japanwest', japanwest: 'japaneast',
  koreacentral: 'koreasouth', koreasouth: 'koreacentral',
  australiaeast: 'australiasoutheast', australiasoutheast: 'australiaeast',
};

/** True when `other` is the Azure pair of `location` (then GZRS replicates to it). */
export function isAzurePair(location: string, other: string): boolean {
  return AZURE_PAIRS[location] === other;
}
