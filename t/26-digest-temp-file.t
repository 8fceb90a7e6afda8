#!/usr/bin/perl

# $azoai_body_sha256 of a body NGINX spooled to a temp file and the module
# masked in its copy: when a log_format uses the variable, the digest is
# taken as the body is read (debug line "hashed as read"), not by reading
# the temp file again at log time; without the variable nothing is hashed.
# Either way the digest is of the body as received and the upstream gets
# the masked body exactly.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(sha256_hex);
use AzoaiTest;

AzoaiTest::require_module();

my $nginx_v = `$ENV{NGINX} -V 2>&1` // '';
plan skip_all => 'NGINX is not built --with-debug'
    if $nginx_v !~ /--with-debug/;

my $HASHED = qr/azoai: temp-file body hashed as read/;

# one NGINX whose access log has $format (with or without the digest)
sub start_nginx {
    my ($format) = @_;
    my $t = AzoaiTest->new(error_log_level => 'debug');

    $t->write_catalog;
    $t->write_conf(<<"EOF");
    log_format azoai escape=json '$format';
    azoai_catalog %%CATALOG%%;
    client_body_buffer_size 1k;

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_pii on;
        access_log %%DIR%%/vars.log azoai;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
    $t->start_upstream->start;
    return $t;
}

sub chat {
    my ($body, $id) = @_;
    return { method => 'POST',
             path => '/openai/deployments/chat-prod/chat/completions'
                     . '?api-version=2024-10-21',
             headers => [['Content-Type', 'application/json'],
                         ['X-Test-Id', $id]],
             body => $body };
}

sub pii_body {
    my ($size) = @_;
    my ($text, $k) = ('', 0);
    $text .= sprintf('lorem ipsum dolor sit amet user%d@example.com ', $k++)
        while length $text < $size;
    my $body = qq({"messages":[{"role":"user","content":"$text"}]});
    (my $masked = $body) =~ s/user\d+\@example\.com/[EMAIL]/g;
    return ($body, $masked);
}

# the variable in a log_format: hashed as read, once, the digest right
my $t = start_nginx('{"id":"$http_x_test_id","sha":"$azoai_body_sha256"}');

for my $size (5000, 200000) {
    my ($body, $masked) = pii_body($size);
    my $id = "s$size";
    my $r = $t->request(chat($body, $id));
    is($r->{status}, 200, "$size bytes: allowed");
    my ($up) = $t->upstream_requests($t->upstream_count - 1);
    is($up->{body}, $masked, "$size bytes: upstream body masked exactly");
    my $line = $t->access_log_wait(qr/"id":"$id"/, 'vars.log');
    my $rec = $line ? json_decode($line) : {};
    is($rec->{sha}, sha256_hex($body),
       "$size bytes: digest of the body as received");
}

my @hashed = grep { /$HASHED/ } split /\n/, $t->error_log;
is(scalar @hashed, 2, 'both temp-file bodies hashed as they were read');

# a body kept in memory is hashed from memory at log time
my ($small, $small_masked) = pii_body(600);
my $r = $t->request(chat($small, 'mem'));
my ($up) = $t->upstream_requests($t->upstream_count - 1);
is($up->{body}, $small_masked, 'in memory: upstream body masked exactly');
my $line = $t->access_log_wait(qr/"id":"mem"/, 'vars.log');
is($line && json_decode($line)->{sha}, sha256_hex($small),
   'in memory: digest of the body as received');
@hashed = grep { /$HASHED/ } split /\n/, $t->error_log;
is(scalar @hashed, 2, 'in memory: not hashed before it is asked for');

$t->error_log_clean;
$t->stop;

# no directive uses the variable: nothing is hashed, masking the same
$t = start_nginx('{"id":"$http_x_test_id","d":"$azoai_decision"}');

my ($body, $masked) = pii_body(200000);
$r = $t->request(chat($body, 'nodigest'));
is($r->{status}, 200, 'no digest variable: allowed');
($up) = $t->upstream_requests($t->upstream_count - 1);
is($up->{body}, $masked, 'no digest variable: upstream body masked exactly');
$line = $t->access_log_wait(qr/"id":"nodigest"/, 'vars.log');
is($line && json_decode($line)->{d}, 'allow', 'no digest variable: logged');
unlike($t->error_log, $HASHED, 'no digest variable: nothing hashed');

$t->error_log_clean;

done_testing;
