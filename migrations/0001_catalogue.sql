-- The catalogue graph: tenants, their people and their catalogue.
-- Every row carries a UUID primary key and created_at/updated_at so that every
-- list can be ordered by (created_at, id) and paged with keyset cursors.

CREATE TABLE languages (
    code text PRIMARY KEY CHECK (code ~ '^[a-z]{2,3}(-[A-Z]{2})?$'),
    name text NOT NULL
);

CREATE TABLE tenants (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]+$'),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    parent_id  uuid REFERENCES tenants (id) CHECK (parent_id <> id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenants_created_idx ON tenants (created_at, id);
CREATE INDEX tenants_parent_idx ON tenants (parent_id, created_at, id) WHERE parent_id IS NOT NULL;

CREATE TABLE brands (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);
CREATE INDEX brands_tenant_idx ON brands (tenant_id, created_at, id);

-- Users are global: a person has one account and belongs to tenants through
-- memberships.
CREATE TABLE users (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email               text NOT NULL CHECK (email LIKE '%_@_%'),
    first_name          text,
    last_name           text,
    nickname            text,
    phone               text,
    language_code       text REFERENCES languages (code),
    picture_url         text,
    banner_url          text,
    website_url         text,
    twitter_url         text,
    instagram_url       text,
    spotify_profile     text,
    sound_cloud_profile text,
    apple_music_profile text,
    location            text,
    role                text,
    genre               text,
    biography           text,
    company_name        text,
    company_logo_url    text,
    company_ip_rights   boolean,
    dsp_plan_subscribed boolean NOT NULL DEFAULT false,
    referral_code       text NOT NULL DEFAULT substr(md5(random()::text), 1, 10),
    admin_roles         text[] NOT NULL DEFAULT '{}',
    permissions         text[] NOT NULL DEFAULT '{}',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    created_by          uuid REFERENCES users (id),
    updated_by          uuid REFERENCES users (id),
    last_login_at       timestamptz,
    expires_at          timestamptz,
    is_deleted          boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE UNIQUE INDEX users_referral_code_key ON users (referral_code);
CREATE INDEX users_created_idx ON users (created_at, id);

CREATE TABLE memberships (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    user_id      uuid NOT NULL REFERENCES users (id),
    role         text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'USER')),
    status       text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'DEACTIVATED')),
    last_seen_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, user_id)
);
CREATE INDEX memberships_tenant_idx ON memberships (tenant_id, created_at, id);
CREATE INDEX memberships_user_idx ON memberships (user_id, created_at, id);

-- Groups of members inside a tenant (seed 003 DTO_reference_is_admin).
CREATE TABLE groups (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    is_admin   boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

CREATE TABLE membership_groups (
    membership_id uuid NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    group_id      uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (membership_id, group_id)
);
CREATE INDEX membership_groups_group_idx ON membership_groups (group_id);

-- Explicit per-brand access of a tenant member (seed 003 DTO_brand_user).
CREATE TABLE brand_access (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    brand_id   uuid NOT NULL REFERENCES brands (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id),
    role       text NOT NULL CHECK (role IN ('USER', 'READ_ONLY')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (brand_id, user_id)
);
CREATE INDEX brand_access_brand_idx ON brand_access (brand_id, created_at, id);
CREATE INDEX brand_access_user_idx ON brand_access (user_id, created_at, id);

CREATE TABLE artists (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    brand_id       uuid REFERENCES brands (id),
    user_id        uuid REFERENCES users (id),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    genre          text,
    country        text CHECK (country ~ '^[A-Z]{2}$'),
    biography      text,
    image_url      text,
    spotify_id     text,
    apple_music_id text,
    soundcloud_id  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX artists_tenant_idx ON artists (tenant_id, created_at, id);
CREATE INDEX artists_brand_idx ON artists (brand_id, created_at, id) WHERE brand_id IS NOT NULL;
CREATE INDEX artists_user_idx ON artists (user_id, created_at, id) WHERE user_id IS NOT NULL;

CREATE TABLE labels (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX labels_tenant_idx ON labels (tenant_id, created_at, id);

CREATE TABLE releases (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    brand_id       uuid REFERENCES brands (id),
    label_id       uuid REFERENCES labels (id),
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    type           text NOT NULL CHECK (type IN ('SINGLE', 'EP', 'ALBUM')),
    status         text NOT NULL DEFAULT 'DRAFT' CHECK (status IN
                       ('DRAFT', 'SUBMITTED', 'APPROVED', 'REJECTED', 'QUEUED', 'DELIVERED', 'TAKEN_DOWN')),
    upc            text CHECK (upc ~ '^[0-9]{12,13}$'),
    catalog_number text,
    release_date   date,
    genre          text,
    artwork_url    text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX releases_tenant_idx ON releases (tenant_id, created_at, id);
CREATE INDEX releases_brand_idx ON releases (brand_id, created_at, id) WHERE brand_id IS NOT NULL;
CREATE INDEX releases_label_idx ON releases (label_id, created_at, id) WHERE label_id IS NOT NULL;

-- The ordered primary artists of a release.
CREATE TABLE release_artists (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    release_id uuid NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    artist_id  uuid NOT NULL REFERENCES artists (id),
    position   integer NOT NULL CHECK (position >= 1),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (release_id, artist_id),
    UNIQUE (release_id, position)
);
CREATE INDEX release_artists_artist_idx ON release_artists (artist_id, release_id);

CREATE TABLE tracks (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    release_id       uuid NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    position         integer NOT NULL CHECK (position >= 1),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    isrc             text CHECK (isrc ~ '^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$'),
    duration_seconds integer CHECK (duration_seconds > 0),
    explicit         boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (release_id, position) DEFERRABLE INITIALLY IMMEDIATE
);

-- Primary and featured artists of a track, in credit order.
CREATE TABLE track_artists (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    track_id   uuid NOT NULL REFERENCES tracks (id) ON DELETE CASCADE,
    artist_id  uuid NOT NULL REFERENCES artists (id),
    role       text NOT NULL CHECK (role IN ('PRIMARY', 'FEATURED')),
    position   integer NOT NULL CHECK (position >= 1),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (track_id, artist_id),
    UNIQUE (track_id, position)
);
CREATE INDEX track_artists_artist_idx ON track_artists (artist_id, track_id);
