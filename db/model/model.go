// Package model holds the Go types that the GraphQL schema binds to (gqlgen
// autobind) and that the db package scans rows into. One struct serves both so
// that a row is converted to its GraphQL shape in exactly one place: here.
package model

import (
	"time"

	"github.com/lib/pq"
)

// Stamps are who created and last changed a row, and its version, which
// increases with every change (optimistic concurrency).
type Stamps struct {
	CreatedByID *string `db:"created_by"`
	UpdatedByID *string `db:"updated_by"`
	Version     int     `db:"version"`
}

// Tenant is a customer account; ParentID is set on subsidiaries.
type Tenant struct {
	ID        string    `db:"id"`
	Slug      string    `db:"slug"`
	Name      string    `db:"name"`
	ParentID  *string   `db:"parent_id"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// Brand groups a tenant's catalogue and access.
type Brand struct {
	ID        string    `db:"id"`
	TenantID  string    `db:"tenant_id"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
	Stamps
}

// Group is a named set of a tenant's members.
type Group struct {
	ID        string    `db:"id"`
	TenantID  string    `db:"tenant_id"`
	Name      string    `db:"name"`
	IsAdmin   bool      `db:"is_admin"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// User is a person's account, the union of the user fields of every seed API.
type User struct {
	ID                 string         `db:"id"`
	Email              string         `db:"email"`
	FirstName          *string        `db:"first_name"`
	LastName           *string        `db:"last_name"`
	Nickname           *string        `db:"nickname"`
	Phone              *string        `db:"phone"`
	LanguageCode       *string        `db:"language_code"`
	LanguageName       *string        `db:"language_name"`
	LanguageIcon       *string        `db:"language_icon"`
	LanguageSquareIcon *string        `db:"language_square_icon"`
	PictureURL         *string        `db:"picture_url"`
	BannerURL          *string        `db:"banner_url"`
	WebsiteURL         *string        `db:"website_url"`
	TwitterURL         *string        `db:"twitter_url"`
	InstagramURL       *string        `db:"instagram_url"`
	SpotifyProfile     *string        `db:"spotify_profile"`
	SoundCloudProfile  *string        `db:"sound_cloud_profile"`
	AppleMusicProfile  *string        `db:"apple_music_profile"`
	Location           *string        `db:"location"`
	Role               *string        `db:"role"`
	Genre              *string        `db:"genre"`
	Biography          *string        `db:"biography"`
	CompanyName        *string        `db:"company_name"`
	CompanyLogoURL     *string        `db:"company_logo_url"`
	CompanyIPRights    *bool          `db:"company_ip_rights"`
	DspPlanSubscribed  bool           `db:"dsp_plan_subscribed"`
	ReferralCode       string         `db:"referral_code"`
	AdminRoleNames     pq.StringArray `db:"admin_roles"`
	PermissionNames    pq.StringArray `db:"permissions"`
	CreatedAt          time.Time      `db:"created_at"`
	UpdatedAt          time.Time      `db:"updated_at"`
	CreatedByID        *string        `db:"created_by"`
	UpdatedByID        *string        `db:"updated_by"`
	LastLoginAt        *time.Time     `db:"last_login_at"`
	ExpiresAt          *time.Time     `db:"expires_at"`
	IsDeleted          bool           `db:"is_deleted"`
	Version            int            `db:"version"`
	// Channel is how the account came to the platform (seed 003 channel).
	Channel AccountChannel `db:"channel"`
	// DisplayAbsoluteTime is a display preference (seed 003).
	DisplayAbsoluteTime bool `db:"display_absolute_time"`
}

// FullName joins the names as seed 003's full_name does, falling back to the
// nickname so that a list never shows an empty name (the email is not
// everyone's to see).
func (u *User) FullName() string {
	name := ""
	if u.FirstName != nil {
		name = *u.FirstName
	}
	if u.LastName != nil && *u.LastName != "" {
		if name != "" {
			name += " "
		}
		name += *u.LastName
	}
	if name == "" && u.Nickname != nil {
		name = *u.Nickname
	}
	if name == "" {
		return "(no name)"
	}
	return name
}

// Language is the user's preferred language, read with the user row.
func (u *User) Language() *Language {
	if u.LanguageCode == nil {
		return nil
	}
	l := &Language{Code: *u.LanguageCode, Icon: u.LanguageIcon, SquareIcon: u.LanguageSquareIcon}
	if u.LanguageName != nil {
		l.Name = *u.LanguageName
	}
	return l
}

// AdminRoles converts the stored role names to the GraphQL enum.
func (u *User) AdminRoles() []AdminRole {
	roles := make([]AdminRole, 0, len(u.AdminRoleNames))
	for _, r := range u.AdminRoleNames {
		roles = append(roles, AdminRole(r))
	}
	return roles
}

// Permissions lists granular platform permissions.
func (u *User) Permissions() []string { return u.PermissionNames }

// Language is a language a user can prefer.
type Language struct {
	Code       string  `db:"code"`
	Name       string  `db:"name"`
	Icon       *string `db:"icon"`
	SquareIcon *string `db:"square_icon"`
}

// Membership places a user in a tenant with a role.
type Membership struct {
	ID         string           `db:"id"`
	TenantID   string           `db:"tenant_id"`
	UserID     string           `db:"user_id"`
	Role       MembershipRole   `db:"role"`
	Status     MembershipStatus `db:"status"`
	LastSeenAt *time.Time       `db:"last_seen_at"`
	CreatedAt  time.Time        `db:"created_at"`
	UpdatedAt  time.Time        `db:"updated_at"`
	Stamps
	UserDeleted bool `db:"user_deleted"`
}

// Invitation is a pending membership as the invited user sees it. Its
// tenant lies outside the user's scope, so it carries the tenant's slug
// and name rather than a Tenant to resolve.
type Invitation struct {
	ID         string         `db:"id"` // the membership's
	TenantID   string         `db:"tenant_id"`
	TenantSlug string         `db:"tenant_slug"`
	TenantName string         `db:"tenant_name"`
	Role       MembershipRole `db:"role"`
	CreatedAt  time.Time      `db:"created_at"`
}

// BrandAccess grants a user explicit access to one brand.
type BrandAccess struct {
	ID        string          `db:"id"`
	TenantID  string          `db:"tenant_id"`
	BrandID   string          `db:"brand_id"`
	UserID    string          `db:"user_id"`
	Role      BrandAccessRole `db:"role"`
	CreatedAt time.Time       `db:"created_at"`
	UpdatedAt time.Time       `db:"updated_at"`
	Stamps
}

// Artist is a performer in a tenant's catalogue.
type Artist struct {
	ID           string    `db:"id"`
	TenantID     string    `db:"tenant_id"`
	BrandID      *string   `db:"brand_id"`
	UserID       *string   `db:"user_id"`
	Name         string    `db:"name"`
	Genre        *string   `db:"genre"`
	Country      *string   `db:"country"`
	Biography    *string   `db:"biography"`
	ImageURL     *string   `db:"image_url"`
	SpotifyID    *string   `db:"spotify_id"`
	AppleMusicID *string   `db:"apple_music_id"`
	SoundCloudID *string   `db:"soundcloud_id"`
	CreatedAt    time.Time `db:"created_at"`
	UpdatedAt    time.Time `db:"updated_at"`
	Stamps
}

// Label is a record label of a tenant.
type Label struct {
	ID        string    `db:"id"`
	TenantID  string    `db:"tenant_id"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
	Stamps
}

// Release is a single, EP or album.
type Release struct {
	ID            string        `db:"id"`
	TenantID      string        `db:"tenant_id"`
	BrandID       *string       `db:"brand_id"`
	LabelID       *string       `db:"label_id"`
	Title         string        `db:"title"`
	Type          ReleaseType   `db:"type"`
	Status        ReleaseStatus `db:"status"`
	Upc           *string       `db:"upc"`
	CatalogNumber *string       `db:"catalog_number"`
	ReleaseDate   *Date         `db:"release_date"`
	Genre         *string       `db:"genre"`
	ArtworkURL    *string       `db:"artwork_url"`
	CreatedAt     time.Time     `db:"created_at"`
	UpdatedAt     time.Time     `db:"updated_at"`
	Stamps
	RejectionReason *string `db:"rejection_reason"`
}

// Track is a recording on a release.
type Track struct {
	ID              string    `db:"id"`
	TenantID        string    `db:"tenant_id"`
	ReleaseID       string    `db:"release_id"`
	Position        int       `db:"position"`
	Title           string    `db:"title"`
	Isrc            *string   `db:"isrc"`
	DurationSeconds *int      `db:"duration_seconds"`
	Explicit        bool      `db:"explicit"`
	CreatedAt       time.Time `db:"created_at"`
	UpdatedAt       time.Time `db:"updated_at"`
	Stamps
}

// ReleaseArtist is a primary artist credit on a release: the artist row plus
// its credit position.
type ReleaseArtist struct {
	Artist
	Position int `db:"credit_position"`
}

// TrackArtist is an artist credit on a track.
type TrackArtist struct {
	Artist
	Role     TrackArtistRole `db:"credit_role"`
	Position int             `db:"credit_position"`
}

// ArtistTrack is a track crediting an artist, with the credit.
type ArtistTrack struct {
	Track
	Role     TrackArtistRole `db:"credit_role"`
	Position int             `db:"credit_position"`
}

// Member is a user row read together with one of its memberships.
type Member struct {
	User
	Membership Membership `db:"m"`
}

// BrandMember is a user row read together with its access to one brand.
type BrandMember struct {
	User
	Access BrandAccess `db:"ba"`
}

// APIKey is a tenant's API key; the secret is never read back.
type APIKey struct {
	ID          string         `db:"id"`
	TenantID    string         `db:"tenant_id"`
	Name        string         `db:"name"`
	KeyID       string         `db:"key_id"`
	Role        MembershipRole `db:"role"`
	CreatedByID *string        `db:"created_by"`
	CreatedAt   time.Time      `db:"created_at"`
	LastUsedAt  *time.Time     `db:"last_used_at"`
	RevokedAt   *time.Time     `db:"revoked_at"`
}

// Viewer describes the caller of a request.
type Viewer struct {
	UserID         string
	TenantID       string
	Role           MembershipRole
	Permissions    []string
	APIKeyID       string
	ImpersonatorID string
	Impersonating  bool
	SuperAdmin     bool
}

// CreateAPIKeyPayload returns a new key with its secret, once.
type CreateAPIKeyPayload struct {
	APIKey           *APIKey
	Secret           *string
	Authorization    *string
	UserErrors       []*UserError
	ClientMutationID *string
}

// RevokeAPIKeyPayload returns the revoked key.
type RevokeAPIKeyPayload struct {
	APIKey           *APIKey
	UserErrors       []*UserError
	ClientMutationID *string
}
