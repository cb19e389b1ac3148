package strait.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.inject.Produces;
import javax.inject.Singleton;

/**
 * Stands in for the config-index Quarkus extension, whose build-time half
 * is not on Maven Central: the registry's list of settings that its admin
 * API may change at run time, here empty.
 */
public class DynamicPropertiesProducer {
    @Produces
    @Singleton
    public DynamicConfigPropertyList dynamicConfigPropertyList() {
        return new DynamicConfigPropertyList(List.of());
    }
}
