-- The catalogue: films, genres, people and the links between them (schema `content`).
-- Idempotent: safe to run against a database that already has the schema.
CREATE SCHEMA IF NOT EXISTS content;

CREATE TABLE IF NOT EXISTS content.film_work (
    id            uuid PRIMARY KEY,
    title         text NOT NULL,
    description   text,
    creation_date date,
    rating        double precision CHECK (rating BETWEEN 0 AND 10),
    type          text NOT NULL CHECK (type IN ('movie', 'tv_show')),
    created       timestamptz NOT NULL DEFAULT now(),
    modified      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS content.genre (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    description text,
    created     timestamptz NOT NULL DEFAULT now(),
    modified    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS content.person (
    id        uuid PRIMARY KEY,
    full_name text NOT NULL,
    created   timestamptz NOT NULL DEFAULT now(),
    modified  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS content.genre_film_work (
    id           uuid PRIMARY KEY,
    genre_id     uuid NOT NULL REFERENCES content.genre (id) ON DELETE CASCADE,
    film_work_id uuid NOT NULL REFERENCES content.film_work (id) ON DELETE CASCADE,
    created      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT genre_film_work_film_genre_uniq UNIQUE (film_work_id, genre_id)
);

CREATE TABLE IF NOT EXISTS content.person_film_work (
    id           uuid PRIMARY KEY,
    person_id    uuid NOT NULL REFERENCES content.person (id) ON DELETE CASCADE,
    film_work_id uuid NOT NULL REFERENCES content.film_work (id) ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('actor', 'writer', 'director')),
    created      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT person_film_work_film_person_role_uniq UNIQUE (film_work_id, person_id, role)
);

-- Incremental extraction pages by (modified, id); the link tables are searched by either side.
CREATE INDEX IF NOT EXISTS film_work_modified_id_idx ON content.film_work (modified, id);
CREATE INDEX IF NOT EXISTS genre_modified_id_idx ON content.genre (modified, id);
CREATE INDEX IF NOT EXISTS person_modified_id_idx ON content.person (modified, id);
CREATE INDEX IF NOT EXISTS genre_film_work_genre_id_idx ON content.genre_film_work (genre_id);
CREATE INDEX IF NOT EXISTS person_film_work_person_id_idx ON content.person_film_work (person_id);
