package org.cinema.analysis;

import java.util.Map;

import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * Registers the {@code stemmer} token filter for an Elasticsearch built without the
 * analysis-common module (the integ-test-zip distribution the native stack runs).
 * The Docker image ships analysis-common and does not load this plugin.
 */
public final class StemmerPlugin extends Plugin implements AnalysisPlugin {
    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of("stemmer", AnalysisPlugin.requiresAnalysisSettings(
            (indexSettings, environment, name, settings) -> new StemmerTokenFilterFactory(name, settings)));
    }
}
