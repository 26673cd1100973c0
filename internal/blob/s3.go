package blob

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config locates an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, the
// government clouds' object stores, versitygw) and says how to reach it.
// Credentials come from the environment or a file, never from a flag.
type S3Config struct {
	// Bucket and Prefix are where blobs go: Prefix/ab/cd/abcd... , the
	// layout of the filesystem store under its folder, so a folder can be
	// copied to a bucket as it is.
	Bucket, Prefix string
	// Endpoint is the server's URL: https://host[:port], or http:// for
	// a loopback host (or any host with AllowHTTP).
	Endpoint string
	// Region is the bucket's region (default us-east-1).
	Region string
	// AccessKey and SecretKey sign the requests (PARKD_S3_ACCESS_KEY,
	// PARKD_S3_SECRET_KEY). When both are empty they are read from
	// CredentialsFile, an AWS shared credentials file (profile
	// CredentialsProfile, default "default").
	AccessKey, SecretKey string
	CredentialsFile      string
	CredentialsProfile   string
	// PathStyle addresses the bucket as host/bucket rather than
	// bucket.host (MinIO, versitygw and most on-premises servers want it).
	PathStyle bool
	// CAFile holds PEM certificates to trust for the endpoint, on top of
	// the system's.
	CAFile string
	// AllowHTTP accepts an http:// endpoint that is not on loopback, for
	// a private network (a compose network, say) where TLS is not wanted.
	AllowHTTP bool
	// Timeout bounds each request (default 30 s).
	Timeout time.Duration
}

// ParseS3URL splits s3://bucket/prefix into a bucket and a prefix
// (without slashes at its ends). It reports false when u is not an
// s3:// URL.
func ParseS3URL(u string) (bucket, prefix string, ok bool, err error) {
	rest, found := strings.CutPrefix(u, "s3://")
	if !found {
		return "", "", false, nil
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", true, fmt.Errorf("blob: %q names no bucket", u)
	}
	return bucket, strings.Trim(prefix, "/"), true, nil
}

// S3 is a Store in an S3-compatible bucket. Put returns only after the
// server answered the PUT with success, which S3 servers send once the
// object is stored durably.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
	// timeout bounds a request when ctx has no earlier deadline.
	timeout time.Duration
}

// NewS3 connects to the bucket of cfg and checks it exists, creating it
// when it does not and the credentials allow it.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("blob: no S3 bucket")
	}
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("blob: S3 endpoint %q is not an http(s)://host[:port] URL", cfg.Endpoint)
	}
	if u.Scheme == "http" && !cfg.AllowHTTP && !loopback(u.Hostname()) {
		return nil, fmt.Errorf("blob: S3 endpoint %s is plain http beyond loopback: use https, or allow http explicitly", cfg.Endpoint)
	}
	creds, err := s3Credentials(cfg)
	if err != nil {
		return nil, err
	}
	transport, err := s3Transport(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(u.Host, &minio.Options{Creds: creds, Secure: u.Scheme == "https",
		Transport: transport, Region: region, BucketLookup: lookup,
		// A few quick retries ride out a dropped connection; beyond that the
		// lot gets code 3 and its outbox sends the photo again later, rather
		// than a request held open through an outage of the store.
		MaxRetries: 3})
	if err != nil {
		return nil, fmt.Errorf("blob: S3 client: %w", err)
	}
	s := &S3{client: client, bucket: cfg.Bucket, prefix: cfg.Prefix, timeout: cfg.Timeout}
	if s.timeout <= 0 {
		s.timeout = 30 * time.Second
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("blob: S3 bucket %s at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	if !exists {
		// Two instances starting together may both make it.
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: region})
		if code := minio.ToErrorResponse(err).Code; err != nil && code != "BucketAlreadyOwnedByYou" {
			return nil, fmt.Errorf("blob: S3 bucket %s does not exist and could not be made: %w", cfg.Bucket, err)
		}
	}
	return s, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// s3Credentials takes the keys of cfg, or those of its credentials file.
func s3Credentials(cfg S3Config) (*credentials.Credentials, error) {
	if cfg.AccessKey != "" || cfg.SecretKey != "" {
		if cfg.AccessKey == "" || cfg.SecretKey == "" {
			return nil, errors.New("blob: S3 needs both an access key and a secret key")
		}
		return credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""), nil
	}
	if cfg.CredentialsFile == "" {
		return nil, errors.New("blob: no S3 credentials: set PARKD_S3_ACCESS_KEY and PARKD_S3_SECRET_KEY, or a credentials file")
	}
	if _, err := os.Stat(cfg.CredentialsFile); err != nil {
		return nil, fmt.Errorf("blob: S3 credentials file: %w", err)
	}
	profile := cfg.CredentialsProfile
	if profile == "" {
		profile = "default"
	}
	creds := credentials.NewFileAWSCredentials(cfg.CredentialsFile, profile)
	v, err := creds.GetWithContext(nil)
	if err != nil {
		return nil, fmt.Errorf("blob: S3 credentials file %s: %w", cfg.CredentialsFile, err)
	}
	if v.AccessKeyID == "" || v.SecretAccessKey == "" {
		return nil, fmt.Errorf("blob: S3 credentials file %s has no keys for profile %q", cfg.CredentialsFile, profile)
	}
	return credentials.NewStaticV4(v.AccessKeyID, v.SecretAccessKey, v.SessionToken), nil
}

// s3Transport is an HTTP transport trusting the system's roots and those
// of caFile, with enough idle connections for concurrent uploads.
func s3Transport(caFile string) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	if caFile == "" {
		return t, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("blob: S3 CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("blob: S3 CA file %s holds no PEM certificate", caFile)
	}
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t, nil
}

func (s *S3) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// object returns the object name of key: prefix/ab/cd/key.
func (s *S3) object(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	name := key[:2] + "/" + key[2:4] + "/" + key
	if s.prefix != "" {
		name = s.prefix + "/" + name
	}
	return name, nil
}

// Put implements Store: one PUT with the bytes' MD5, which the server
// checks; it returns once the server confirmed the object is stored.
func (s *S3) Put(ctx context.Context, data []byte) (string, error) {
	key := Key(data)
	name, err := s.object(key)
	if err != nil {
		return "", err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	_, err = s.client.PutObject(ctx, s.bucket, name, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: "application/octet-stream", SendContentMd5: true, DisableMultipart: true})
	if err != nil {
		return "", fmt.Errorf("blob %s: S3 put: %w", key, err)
	}
	return key, nil
}

// Get implements Store; a missing object is fs.ErrNotExist.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	name, err := s.object(key)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	obj, err := s.client.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.getError(key, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if err != nil {
		return nil, s.getError(key, err)
	}
	return b, nil
}

func (s *S3) getError(key string, err error) error {
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return fmt.Errorf("blob %s: %w", key, fs.ErrNotExist)
	}
	return fmt.Errorf("blob %s: S3 get: %w", key, err)
}

// Delete implements Store; S3 reports no error for a missing object.
func (s *S3) Delete(ctx context.Context, key string) error {
	name, err := s.object(key)
	if err != nil {
		return err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	if err := s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("blob %s: S3 delete: %w", key, err)
	}
	return nil
}
