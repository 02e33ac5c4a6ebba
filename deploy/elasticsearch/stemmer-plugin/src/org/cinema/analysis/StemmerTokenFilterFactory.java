package org.cinema.analysis;

import java.util.Locale;
import java.util.function.UnaryOperator;

import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.ru.RussianLightStemFilter;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.tartarus.snowball.ext.RussianStemmer;

/**
 * The languages of Elasticsearch's {@code stemmer} filter that the catalogue's {@code ru_en}
 * analyzer uses, mapped to the same Lucene filters that analysis-common picks for them.
 */
final class StemmerTokenFilterFactory extends AbstractTokenFilterFactory {
    private final UnaryOperator<TokenStream> stemmer;

    StemmerTokenFilterFactory(String name, Settings settings) {
        super(name, settings);
        String language = settings.get("language", settings.get("name", "porter")).toLowerCase(Locale.ROOT);
        this.stemmer = switch (language) {
            case "english", "porter" -> PorterStemFilter::new;
            case "possessive_english" -> EnglishPossessiveFilter::new;
            case "russian" -> stream -> new SnowballFilter(stream, new RussianStemmer());
            case "light_russian" -> RussianLightStemFilter::new;
            default -> throw new IllegalArgumentException(
                "stemmer language [" + language + "] is not supported by the native stack; "
                    + "supported: english, porter, possessive_english, russian, light_russian");
        };
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        return stemmer.apply(tokenStream);
    }
}
