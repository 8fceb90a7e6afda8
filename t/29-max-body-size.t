#!/usr/bin/perl

# azoai_max_body_size takes k, m and g: 1g and 2g load and hold exactly
# 2^30 and 2^31 bytes (a body declared one byte larger gets 413 at once,
# the message names the limit in bytes); 1024m is the same limit as 1g;
# a bad value fails `nginx -t` with a message that says what a size is.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;
my $GIB = 1024 * 1024 * 1024;

$t->write_catalog;
$t->write_conf(<<'EOF');
    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_catalog %%CATALOG%%;
        client_max_body_size 0;
        azoai_max_body_size 1g;
        location / { proxy_pass http://%%UPSTREAM%%; }
    }
    server {
        listen 127.0.0.1:%%PORT_TWO%%;
        azoai on;
        azoai_catalog %%CATALOG%%;
        client_max_body_size 0;
        azoai_max_body_size 2g;
        location / { proxy_pass http://%%UPSTREAM%%; }
    }
    server {
        listen 127.0.0.1:%%PORT_MIB%%;
        azoai on;
        azoai_catalog %%CATALOG%%;
        client_max_body_size 0;
        azoai_max_body_size 1024m;
        location / { proxy_pass http://%%UPSTREAM%%; }
    }
    server {
        listen 127.0.0.1:%%PORT_UPPER%%;
        azoai on;
        azoai_catalog %%CATALOG%%;
        client_max_body_size 0;
        azoai_max_body_size 1G;
        location / { proxy_pass http://%%UPSTREAM%%; }
    }
EOF

my ($rc, $out) = $t->nginx_test;
is($rc, 0, 'nginx -t accepts 1g, 2g, 1024m and 1G') or diag($out);

$t->start_upstream->start;

my $path = '/openai/deployments/chat-prod/chat/completions'
           . '?api-version=2024-10-21';
my $body = '{"messages":[{"role":"user","content":"hi"}]}';

# a request that declares LENGTH bytes and sends none: a body larger than
# the limit is answered at once
sub declared {
    my ($port, $length) = @_;
    return http_send_raw($port, parts => [
        "POST $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: application/json\r\n"
        . "Content-Length: $length\r\n\r\n"]);
}

for my $case (['main', '1g', $GIB], ['two', '2g', 2 * $GIB],
              ['mib', '1024m', $GIB], ['upper', '1G', $GIB])
{
    my ($name, $value, $bytes) = @$case;
    my $port = $t->port($name);
    $t->expect_allowed({method => 'POST', path => $path, port => $port,
                        headers => [['Content-Type', 'application/json']],
                        body => $body},
                       "$value: a small body passes");
    my $r = declared($port, $bytes + 1);
    is_denial($r, 413, 'BodyTooLarge', "$value: one byte more is 413");
    like($r->{body} // '',
         qr/larger than azoai_max_body_size \($bytes bytes\)/,
         "$value: the limit is $bytes bytes") or diag($r->{body});
}

$t->error_log_clean;
$t->stop;

# bad values: nginx -t fails and says what a size is
my $WANT = 'it must be a size in bytes with an optional k, m or g suffix, '
    . 'such as 512k, 8m or 1g';
for my $bad ('lots', '1t', '1gb', '-1', '1.5g', '', 'g',
             '9999999999999g', '99999999999999999999')
{
    $t->write_conf(<<"EOF", file => 'bad.conf');
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            azoai_max_body_size "$bad";
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
    ($rc, $out) = $t->nginx_test("$t->{dir}/bad.conf");
    isnt($rc, 0, "'$bad': nginx -t fails");
    my $msg = qq(invalid value "$bad" in "azoai_max_body_size" directive, )
        . $WANT;
    like($out, qr/\[emerg\] (?:\d+#\d+: )?\Q$msg\E in \S*bad\.conf:\d+$/m,
         "'$bad': the message") or diag($out);
}

# a second value in the same block is refused as NGINX refuses others
$t->write_conf(<<'EOF', file => 'bad.conf');
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            azoai_max_body_size 1g;
            azoai_max_body_size 2g;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
($rc, $out) = $t->nginx_test("$t->{dir}/bad.conf");
isnt($rc, 0, 'azoai_max_body_size twice: nginx -t fails');
like($out, qr/"azoai_max_body_size" directive is duplicate/,
     'azoai_max_body_size twice: the message') or diag($out);

done_testing;
