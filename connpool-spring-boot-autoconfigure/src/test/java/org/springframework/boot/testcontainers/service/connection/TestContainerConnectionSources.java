package org.springframework.boot.testcontainers.service.connection;

import java.util.List;
import java.util.Map;
import org.springframework.core.annotation.MergedAnnotation;
import org.springframework.core.annotation.MergedAnnotations;
import org.testcontainers.containers.Container;

/**
 * Builds the source Spring Boot makes for a {@code @ServiceConnection} container (its constructor is
 * package-private), without a container behind it: there is no Docker engine where these tests run.
 * Only its naming is used; asking it for the container fails.
 */
public final class TestContainerConnectionSources {

    private TestContainerConnectionSources() {
    }

    /**
     * The source of {@code @ServiceConnection(name = name)} on a container of the image.
     *
     * @param name the annotation's name, empty for none
     * @param image the container's image name
     */
    public static ContainerConnectionSource<Container<?>> of(String name, String image) {
        return of(name, image, new Class<?>[0]);
    }

    /**
     * The source of {@code @ServiceConnection(name = name, type = types)} on a container of the image.
     *
     * @param name the annotation's name, empty for none
     * @param image the container's image name
     * @param types the annotation's connection details types, none for any
     */
    @SuppressWarnings({ "unchecked", "rawtypes" })
    public static ContainerConnectionSource<Container<?>> of(String name, String image, Class<?>... types) {
        MergedAnnotation<ServiceConnection> annotation = MergedAnnotation.of(ServiceConnection.class,
                Map.of("name", name, "value", name, "type", types));
        return new ContainerConnectionSource<>("test", null, (Class) Container.class, image, annotation, () -> {
            throw new IllegalStateException("no container in this test");
        }, null, MergedAnnotations.of(List.of()));
    }
}
